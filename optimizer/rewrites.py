"""Deterministic query rewrites for the rules that have one.

    from optimizer.rewrites import rewrite
    for r in rewrite(sql, schema):
        r.rule_id, r.sql, r.rationale, r.advice_only

Each rewriter works on its own fresh pglast tree, edits the tree and prints it back (pglast's RawStream),
and every output is parsed again before it is returned. A rewrite with `advice_only=False` claims to return
the same multiset of rows as the original; it is offered only when that holds whatever the data (NULLs and
duplicates included) given the schema facts. When the claim depends on facts we do not have, the rewrite is
`advice_only=True` and its rationale says what must hold. Plain Python, no Django.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass

from pglast import ast, parse_sql
from pglast.enums import (
    A_Expr_Kind,
    BoolExprType,
    BoolTestType,
    CoercionForm,
    JoinType,
    SetOperation,
    SortByDir,
    SortByNulls,
    SubLinkType,
)
from pglast.stream import RawStream

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import type_family
from optimizer.rules.model import SchemaInfo
from optimizer.rules.query.count_for_existence import count_existence_test, exists_from_count, top_level_exists
from optimizer.rules.query.deep_offset import DEEP_OFFSET
from optimizer.rules.schema.not_in_nullable_subquery import filtered_not_null
from optimizer.rules.tree import (
    column_parts,
    conjuncts,
    const_value,
    func_name,
    is_aggregate_call,
    is_column,
    is_const,
    is_constant_expr,
    not_in_sublinks,
    op_name,
    simple_predicate_column,
    walk,
)

logger = logging.getLogger(__name__)
# Functions whose value changes per call: a rewrite must not move or duplicate them.
VOLATILE = {"random", "nextval", "clock_timestamp", "gen_random_uuid", "setseed", "uuid_generate_v4"}


@dataclass
class Rewrite:
    rule_id: str
    sql: str
    rationale: str
    advice_only: bool

    def as_dict(self) -> dict:
        return {"rule_id": self.rule_id, "sql": self.sql, "rationale": self.rationale, "advice_only": self.advice_only}


class Skip(Exception):  # noqa: N818 - control flow: this rewriter does not apply
    """The rewriter does not apply (or cannot prove what it needs)."""


# --- tree building helpers -------------------------------------------------------------------------------


def col(*names: str) -> ast.ColumnRef:
    return ast.ColumnRef(fields=tuple(ast.String(sval=n) for n in names))


def const(value) -> ast.A_Const:
    if isinstance(value, bool):
        return ast.A_Const(isnull=False, val=ast.Boolean(boolval=value))
    if isinstance(value, int):
        return ast.A_Const(isnull=False, val=ast.Integer(ival=value))
    return ast.A_Const(isnull=False, val=ast.String(sval=str(value)))


def op(name: str, left, right, kind=A_Expr_Kind.AEXPR_OP) -> ast.A_Expr:
    return ast.A_Expr(kind=kind, name=(ast.String(sval=name),), lexpr=left, rexpr=right)


def and_(*terms) -> ast.Node:
    flat = []
    for term in terms:
        if term is None:
            continue
        if isinstance(term, ast.BoolExpr) and term.boolop == BoolExprType.AND_EXPR:
            flat.extend(term.args)
        else:
            flat.append(term)
    return flat[0] if len(flat) == 1 else ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=tuple(flat))


def not_(term) -> ast.BoolExpr:
    return ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(term,))


def cast(node, type_name: str) -> ast.TypeCast:
    return ast.TypeCast(arg=node, typeName=ast.TypeName(names=(ast.String(sval=type_name),), typemod=-1))


def interval(text: str) -> ast.TypeCast:
    return ast.TypeCast(
        arg=const(text), typeName=ast.TypeName(names=(ast.String(sval="pg_catalog"), ast.String(sval="interval")))
    )


def replace_child(parent, old, new) -> None:
    """Put `new` where `old` is among `parent`'s fields (pglast nodes keep children in slots/tuples)."""
    for name in parent.__slots__:
        value = getattr(parent, name, None)
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, tuple) and any(v is old for v in value):
            setattr(parent, name, tuple(new if v is old else v for v in value))
            return
    raise Skip("node not found in its parent")


def to_sql(stmt) -> str:
    return RawStream()(stmt)


def figure_colname(node) -> str:
    """The output column name PostgreSQL gives an unnamed expression (FigureColname)."""
    if isinstance(node, ast.ColumnRef):
        return column_parts(node)[1] if is_column(node) else "?column?"
    if isinstance(node, ast.FuncCall):
        return node.funcname[-1].sval
    if isinstance(node, ast.TypeCast):
        inner = figure_colname(node.arg)
        return inner if inner != "?column?" else node.typeName.names[-1].sval
    if isinstance(node, ast.CoalesceExpr):
        return "coalesce"
    if isinstance(node, ast.CaseExpr):
        return "case"
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NULLIF:
        return "nullif"
    if isinstance(node, ast.SubLink):
        if node.subLinkType == SubLinkType.EXISTS_SUBLINK:
            return "exists"
        if node.subLinkType == SubLinkType.ARRAY_SUBLINK:
            return "array"
        if node.subLinkType == SubLinkType.EXPR_SUBLINK and node.subselect.targetList:
            first = node.subselect.targetList[0]
            return first.name or figure_colname(first.val)
    return "?column?"


def unused_name(stmt, prefix: str) -> str:
    taken = {n.aliasname.lower() for n in walk(stmt) if isinstance(n, ast.Alias)}
    taken |= {n.relname.lower() for n in walk(stmt) if isinstance(n, ast.RangeVar)}
    i = 1
    while f"{prefix}{i}" in taken:
        i += 1
    return f"{prefix}{i}"


def is_volatile(node) -> bool:
    return any(func_name(n) in VOLATILE for n in walk(node))


def only_select(sql: str):
    """A fresh tree for a single plain SELECT, plus a RuleContext over it."""
    statements = parse_sql(sql)
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        raise Skip("not a single SELECT")
    return statements[0].stmt, statements


# --- NOT IN (subquery) -> NOT EXISTS ---------------------------------------------------------------------


def _relation_qualifier(ctx: RuleContext, select, colref) -> str | None:
    """The alias a column of `select`'s FROM should be qualified with, or None when unknowable."""
    qualifier, _ = column_parts(colref)
    if qualifier is not None:
        return qualifier
    scope = ctx.scope(select)
    if len(scope.items) == 1 and isinstance(scope.items[0], ast.RangeVar):
        return next(iter(scope.aliases))
    resolved = ctx.resolve(colref)
    owners = [a for a, t in scope.aliases.items() if resolved and t == resolved[0]]
    return owners[0] if len(owners) == 1 else None


def _known_not_null(ctx: RuleContext, expr, where) -> bool | None:
    """True: cannot be NULL; False: the schema says it can; None: unknown."""
    if is_const(expr) and const_value(expr) is not None:
        return True
    if not is_column(expr):
        return None
    if filtered_not_null(where, expr):
        return True
    _, info = ctx.column_info(expr)
    if info is None or info.nullable is None:
        return None
    return not info.nullable


def rewrite_not_in(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    stmt, statements = only_select(sql)
    ctx = RuleContext(sql, statements, schema)
    found = list(not_in_sublinks(ctx))
    if len(found) != 1:
        raise Skip("no single NOT IN (subquery)")
    node, sub = found[0]
    inner = sub.subselect
    outer = ctx.enclosing_statement(node)
    if not isinstance(inner, ast.SelectStmt) or inner.op != SetOperation.SETOP_NONE or len(inner.targetList) != 1:
        raise Skip("subquery shape")
    if inner.groupClause or inner.havingClause or inner.limitCount or inner.limitOffset or inner.distinctClause:
        raise Skip("grouped or limited subquery")
    target = inner.targetList[0].val
    if isinstance(sub.testexpr, ast.RowExpr) or any(is_aggregate_call(n) for n in walk(target)):
        raise Skip("row or aggregate comparison")
    if not isinstance(outer, ast.SelectStmt):
        raise Skip("outer statement")
    inner_not_null = _known_not_null(ctx, target, inner.whereClause)
    outer_not_null = _known_not_null(ctx, sub.testexpr, outer.whereClause)
    if inner_not_null is False or outer_not_null is False:
        raise Skip("a nullable side: NOT EXISTS would return rows NOT IN does not")

    outer_expr = sub.testexpr
    if is_column(outer_expr):
        outer_q = _relation_qualifier(ctx, outer, outer_expr)
        if outer_q is None:
            raise Skip("cannot qualify the outer column")
        outer_expr = col(outer_q, column_parts(outer_expr)[1])
    inner_expr = target
    if is_column(target):
        _belongs_to_inner(ctx, inner, target)
        inner_q = _relation_qualifier(ctx, inner, target)
        if inner_q is None:
            raise Skip("cannot qualify the inner column")
        if is_column(outer_expr) and inner_q == column_parts(outer_expr)[0]:
            inner_q = _alias_inner_relation(ctx, inner, inner_q)
        inner_expr = col(inner_q, column_parts(target)[1])
    elif columns_unqualified(target):
        raise Skip("unqualified columns in an inner expression")

    inner.targetList = (ast.ResTarget(val=const(1)),)
    inner.whereClause = and_(inner.whereClause, op("=", inner_expr, outer_expr))
    exists = ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=inner)
    parent = ctx.parent_of(node)
    replace_child(parent, node, not_(exists))
    exact = inner_not_null and outer_not_null
    if exact:
        rationale = (
            "NOT EXISTS is planned as an anti-join (hash or merge), which NOT IN (subquery) never is. Equivalent "
            "here because neither side can be NULL (schema NOT NULL or an IS NOT NULL filter): with a NULL, NOT IN "
            "returns no row while NOT EXISTS would."
        )
    else:
        rationale = (
            "NOT EXISTS is planned as an anti-join, which NOT IN (subquery) never is. Not proven equivalent: it "
            "is only if neither the subquery's column nor the outer value can be NULL (with a NULL in the "
            "subquery NOT IN returns no rows at all, NOT EXISTS ignores it). Check the columns before applying."
        )
    return [Rewrite("not-in-subquery", to_sql(stmt), rationale, advice_only=not exact)]


def _belongs_to_inner(ctx: RuleContext, inner, target) -> None:
    """`NOT IN (SELECT y FROM t)` where t has no column y reads the OUTER y (a classic bug); never rewrite
    that as if y were t's."""
    qualifier, column = column_parts(target)
    if qualifier is not None:
        return
    for item in ctx.scope(inner).items:
        table = ctx.table(item.relname) if isinstance(item, ast.RangeVar) else None
        if table is not None and table.columns and column not in table.columns:
            raise Skip(f"{column} is not a column of {item.relname}: it refers to the outer query")


def columns_unqualified(node) -> bool:
    return any(is_column(n) and column_parts(n)[0] is None for n in walk(node))


def _alias_inner_relation(ctx: RuleContext, inner, qualifier: str) -> str:
    """The subquery reads the same table as the outer query without an alias: give it one."""
    if any(isinstance(n, ast.SubLink) for n in walk(inner) if n is not inner):
        raise Skip("nested subquery inside a self-referencing NOT IN")
    scope = ctx.scope(inner)
    relation = scope.items[0]
    if not isinstance(relation, ast.RangeVar) or relation.alias is not None:
        raise Skip("cannot alias the inner relation")
    alias = unused_name(ctx.statements[0].stmt, "sub")
    relation.alias = ast.Alias(aliasname=alias)
    for node in walk(inner):
        if is_column(node) and column_parts(node)[0] == qualifier:
            node.fields = (ast.String(sval=alias), node.fields[-1])
    return alias


# --- OR across columns -> UNION ALL ----------------------------------------------------------------------


def _exclusion(predicate):
    """A condition true exactly when `predicate` is not true (false or NULL)."""
    if (
        isinstance(predicate, ast.A_Expr)
        and predicate.kind == A_Expr_Kind.AEXPR_OP
        and op_name(predicate) == "="
        and is_column(predicate.lexpr)
        and is_const(predicate.rexpr)
    ):
        return op("=", copy.deepcopy(predicate.lexpr), copy.deepcopy(predicate.rexpr), A_Expr_Kind.AEXPR_DISTINCT)
    return ast.BooleanTest(arg=copy.deepcopy(predicate), booltesttype=BoolTestType.IS_NOT_TRUE)


def rewrite_or_union(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    stmt, _ = only_select(sql)
    if stmt.op != SetOperation.SETOP_NONE or stmt.withClause or stmt.intoClause or stmt.lockingClause:
        raise Skip("statement shape")
    if stmt.sortClause or stmt.limitCount or stmt.limitOffset or stmt.distinctClause:
        raise Skip("ORDER BY / LIMIT / DISTINCT apply to the whole result")
    if stmt.groupClause or stmt.havingClause or stmt.windowClause:
        raise Skip("grouped")
    if any(is_aggregate_call(n) or (isinstance(n, ast.FuncCall) and n.over) for n in walk(stmt, stop=(ast.SubLink,))):
        raise Skip("aggregates or window functions")
    if is_volatile(stmt):
        raise Skip("volatile functions would be evaluated per branch")
    terms = conjuncts(stmt.whereClause)
    chosen = None
    for term in terms:
        if isinstance(term, ast.BoolExpr) and term.boolop == BoolExprType.OR_EXPR:
            cols = [simple_predicate_column(a) for a in term.args]
            if all(c is not None for c in cols) and len({column_parts(c) for c in cols}) >= 2:
                chosen = term
                break
    if chosen is None:
        raise Skip("no OR across columns")
    rest = [t for t in terms if t is not chosen]
    branches = []
    for i, predicate in enumerate(chosen.args):
        branch = copy.deepcopy(stmt)
        earlier = [_exclusion(p) for p in chosen.args[:i]]
        branch.whereClause = and_(*[copy.deepcopy(t) for t in rest], copy.deepcopy(predicate), *earlier)
        branches.append(branch)
    union = branches[0]
    for branch in branches[1:]:
        union = ast.SelectStmt(op=SetOperation.SETOP_UNION, all=True, larg=union, rarg=branch)
    rationale = (
        "Each UNION ALL branch tests one column, so each can use that column's index. Branch k excludes the rows "
        "an earlier branch returned (`IS DISTINCT FROM` / `IS NOT TRUE`, which also handle NULL), so every row "
        "of the original appears exactly once: the same multiset, duplicates included. Worth it only when each "
        "branch is selective and indexed; otherwise a BitmapOr over the original is as good."
    )
    return [Rewrite("or-across-columns", to_sql(union), rationale, advice_only=False)]


# --- correlated scalar subquery in SELECT list -> LEFT JOIN LATERAL --------------------------------------


def _single_row(select) -> bool:
    """Does the subquery return at most one row whatever the data?"""
    if select.groupClause or select.havingClause or select.op != SetOperation.SETOP_NONE:
        return False
    if len(select.targetList or ()) != 1:
        return False
    if is_aggregate_call(select.targetList[0].val) and not select.groupClause:
        return True
    return const_value(select.limitCount) == 1 if select.limitCount is not None else False


def rewrite_correlated_select(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    stmt, statements = only_select(sql)
    ctx = RuleContext(sql, statements, schema)
    if stmt.op != SetOperation.SETOP_NONE or len(stmt.fromClause or ()) != 1:
        raise Skip("needs a single FROM item to join to")
    if stmt.groupClause or stmt.havingClause or stmt.distinctClause:
        raise Skip("grouped outer query")
    if any(is_aggregate_call(n) for t in stmt.targetList for n in walk(t.val, stop=(ast.SubLink,))):
        raise Skip("aggregated outer query")
    if any(
        isinstance(t.val, ast.ColumnRef) and len(t.val.fields) == 1 and isinstance(t.val.fields[0], ast.A_Star)
        for t in stmt.targetList
    ):
        raise Skip("SELECT * would also return the joined subquery's column")
    jobs = []
    for target in stmt.targetList:
        for node in walk(target.val, stop=(ast.SubLink,)):
            if (
                isinstance(node, ast.SubLink)
                and node.subLinkType == SubLinkType.EXPR_SUBLINK
                and ctx.is_correlated(node.subselect)
                and _single_row(node.subselect)
            ):
                jobs.append((target, node, ctx.parent_of(node)))
    if not jobs:
        raise Skip("no correlated single-row subquery in the SELECT list")
    from_item = stmt.fromClause[0]
    for target, sublink, parent in jobs:
        alias = unused_name(stmt, "_l")
        name = target.name or (figure_colname(sublink) if target.val is sublink else None)
        inner = sublink.subselect
        inner.targetList = (ast.ResTarget(val=inner.targetList[0].val, name="v"),)
        ref = col(alias, "v")
        if target.val is sublink:
            target.val = ref
            target.name = name
        else:
            replace_child(parent, sublink, ref)
        lateral = ast.RangeSubselect(lateral=True, subquery=inner, alias=ast.Alias(aliasname=alias))
        from_item = ast.JoinExpr(jointype=JoinType.JOIN_LEFT, larg=from_item, rarg=lateral, quals=const(True))
        stmt.fromClause = (from_item,)
    rationale = (
        "The subquery becomes a LEFT JOIN LATERAL: the planner sees it as a join and can pick a better strategy "
        "than re-running a SubPlan per row, and the intent is explicit. Equivalent because the subquery returns "
        "at most one row (an aggregate without GROUP BY, or LIMIT 1) and LEFT JOIN keeps outer rows with no "
        "match, giving NULL exactly as the scalar subquery did. For large outer sets, pre-aggregating with GROUP "
        "BY and a plain join is often faster still."
    )
    return [Rewrite("correlated-scalar-subquery", to_sql(stmt), rationale, advice_only=False)]


# --- count(*) > 0 -> EXISTS -------------------------------------------------------------------------------


def rewrite_count_exists(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    stmt, statements = only_select(sql)
    ctx = RuleContext(sql, statements, schema)
    done = 0
    for expr in list(ctx.of(ast.A_Expr)):
        found = count_existence_test(expr)
        if found is None or not isinstance(found[0], ast.SubLink):
            continue
        counted, exists = found
        node = exists_from_count(counted)
        if node is None:
            raise Skip("count with several arguments")
        replace_child(ctx.parent_of(expr), expr, node if exists else not_(node))
        done += 1
    if not done:
        done = int(top_level_exists(stmt))
    if not done:
        raise Skip("no count compared with zero")
    rationale = (
        "EXISTS stops at the first matching row and can be planned as a semi-join; count(*) reads every match "
        "only to compare the total with zero. Exactly equivalent: count is never NULL, count > 0 holds exactly "
        "when a row exists (count(x) > 0 when a row with x not NULL exists, which the rewrite adds as a filter)."
    )
    return [Rewrite("count-for-existence", to_sql(stmt), rationale, advice_only=False)]


# --- function on a column -> sargable range ---------------------------------------------------------------

TRUNC_UNITS = {
    "second": "1 second",
    "minute": "1 minute",
    "hour": "1 hour",
    "day": "1 day",
    "week": "1 week",
    "month": "1 month",
    "quarter": "3 months",
    "year": "1 year",
    "decade": "10 years",
}
TIME_TYPES = ("time",)


def _literal_timestamp(node) -> dt.datetime | None:
    value = const_value(node)
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


def _aligned(moment: dt.datetime, unit: str) -> bool:
    """Is the literal a boundary of the unit (so date_trunc(unit, col) can equal it)?"""
    t = moment
    zero_time = (t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0)
    checks = {
        "second": t.microsecond == 0,
        "minute": (t.second, t.microsecond) == (0, 0),
        "hour": (t.minute, t.second, t.microsecond) == (0, 0, 0),
        "day": zero_time,
        "week": zero_time and t.weekday() == 0,
        "month": zero_time and t.day == 1,
        "quarter": zero_time and t.day == 1 and t.month in (1, 4, 7, 10),
        "year": zero_time and t.day == 1 and t.month == 1,
        "decade": zero_time and t.day == 1 and t.month == 1 and t.year % 10 == 0,
    }
    return checks.get(unit, False)


def _column_is_temporal(ctx: RuleContext, column) -> bool:
    _, info = ctx.column_info(column)
    return bool(info) and type_family(info.type) in TIME_TYPES


def _range_for(ctx: RuleContext, side, other) -> tuple[ast.Node, bool, str] | None:
    """(replacement condition, exact?, caveat) for `side = other`, or None."""
    name = func_name(side)
    if name == "date_trunc" and len(side.args) == 2 and is_column(side.args[1]):
        unit = const_value(side.args[0])
        unit = unit.lower() if isinstance(unit, str) else None
        if unit not in TRUNC_UNITS or not is_constant_expr(other) or is_volatile(other):
            return None
        column = side.args[1]
        moment = _literal_timestamp(other)
        if moment is not None and not _aligned(moment, unit):
            return None  # the original matches nothing; rewriting would change that
        upper = op("+", cast(copy.deepcopy(other), "timestamp"), interval(TRUNC_UNITS[unit]))
        cond = and_(op(">=", column, other), op("<", copy.deepcopy(column), upper))
        exact = moment is not None and _column_is_temporal(ctx, column)
        caveat = "" if exact else f"Equivalent when the column is a timestamp/date and the value is a {unit} boundary."
        return cond, exact, caveat
    column = None
    if name == "date" and len(side.args or ()) == 1 and is_column(side.args[0]):
        column = side.args[0]
    elif isinstance(side, ast.TypeCast) and is_column(side.arg) and side.typeName.names[-1].sval.lower() == "date":
        column = side.arg
    if column is not None and is_constant_expr(other) and not is_volatile(other):
        day = cast(copy.deepcopy(other), "date")
        cond = and_(op(">=", column, day), op("<", copy.deepcopy(column), op("+", copy.deepcopy(day), const(1))))
        exact = _column_is_temporal(ctx, column)
        return cond, exact, "" if exact else "Equivalent when the column is a timestamp or date column."
    if name in ("extract", "date_part") and len(side.args) == 2 and is_column(side.args[1]):
        field = const_value(side.args[0])
        year = const_value(other)
        if not (isinstance(field, str) and field.lower() == "year" and isinstance(year, int)) or not 1 <= year < 9999:
            return None
        column = side.args[1]
        cond = and_(
            op(">=", column, const(f"{year:04d}-01-01")), op("<", copy.deepcopy(column), const(f"{year + 1:04d}-01-01"))
        )
        exact = _column_is_temporal(ctx, column)
        return cond, exact, "" if exact else "Equivalent when the column is a timestamp or date column."
    return None


def rewrite_sargable_dates(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    statements = parse_sql(sql)
    if len(statements) != 1:
        raise Skip("several statements")
    stmt = statements[0].stmt
    ctx = RuleContext(sql, statements, schema)
    jobs = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind != A_Expr_Kind.AEXPR_OP or op_name(expr) != "=" or not ctx.in_predicate(expr):
            continue
        for side, other in ((expr.lexpr, expr.rexpr), (expr.rexpr, expr.lexpr)):
            found = _range_for(ctx, side, other)
            if found:
                jobs.append((expr, *found))
                break
    if not jobs:
        raise Skip("no date function compared with a constant")
    for expr, cond, _, _ in jobs:
        parent = ctx.parent_of(expr)
        if isinstance(parent, ast.BoolExpr) and parent.boolop == BoolExprType.AND_EXPR:
            args = []
            for a in parent.args:
                args.extend(cond.args if a is expr else (a,))
            parent.args = tuple(args)
        else:
            replace_child(parent, expr, cond)
    exact = all(j[2] for j in jobs)
    caveats = " ".join(sorted({j[3] for j in jobs if j[3]}))
    rationale = (
        "The condition compares the bare column with a half-open range, so an index on the column can be used "
        "(a function around the column hides it from the index). Same rows: f(col) = value holds exactly when col "
        "falls in [value, value + one unit). " + caveats
    ).strip()
    return [Rewrite("date-function-equality", to_sql(stmt), rationale, advice_only=not exact)]


# --- OFFSET pagination -> keyset pagination (advice) ------------------------------------------------------


def rewrite_keyset(sql: str, schema: SchemaInfo | None) -> list[Rewrite]:
    stmt, _ = only_select(sql)
    offset = stmt.limitOffset
    if offset is None or stmt.op != SetOperation.SETOP_NONE:
        raise Skip("no OFFSET")
    value = const_value(offset)
    if isinstance(value, int) and value < DEEP_OFFSET:
        raise Skip("shallow OFFSET")
    if not isinstance(offset, ast.ParamRef) and not isinstance(value, int):
        raise Skip("OFFSET expression")
    keys = list(stmt.sortClause or ())
    if not keys or not all(is_column(k.node) for k in keys):
        raise Skip("needs ORDER BY on columns")
    directions = {k.sortby_dir == SortByDir.SORTBY_DESC for k in keys}
    if len(directions) != 1 or any(k.sortby_nulls != SortByNulls.SORTBY_NULLS_DEFAULT for k in keys):
        raise Skip("mixed sort directions cannot use one row comparison")
    descending = directions.pop()
    stmt.limitOffset = None  # a parameter OFFSET's number is free again for the keys
    numbers = [n.number for n in walk(stmt) if isinstance(n, ast.ParamRef)]
    first = max(numbers, default=0) + 1
    params = [ast.ParamRef(number=first + i) for i in range(len(keys))]
    columns = [copy.deepcopy(k.node) for k in keys]
    if len(keys) == 1:
        left, right = columns[0], params[0]
    else:
        left = ast.RowExpr(args=tuple(columns), row_format=CoercionForm.COERCE_IMPLICIT_CAST)
        right = ast.RowExpr(args=tuple(params), row_format=CoercionForm.COERCE_IMPLICIT_CAST)
    stmt.whereClause = and_(stmt.whereClause, op("<" if descending else ">", left, right))
    names = ", ".join(column_parts(k.node)[1] for k in keys)
    placeholders = ", ".join(f"${p.number}" for p in params)
    rationale = (
        f"Keyset pagination: instead of skipping rows with OFFSET, pass the last row's ({names}) of the previous "
        f"page as {placeholders}. Each page then reads only its own rows through an index on ({names}). Advice, "
        "not a drop-in replacement: the caller must keep the last key, the ORDER BY must be unique (end it with the "
        "primary key) and the key columns NOT NULL, and pages can no longer be addressed by number."
    )
    return [Rewrite("deep-offset", to_sql(stmt), rationale, advice_only=True)]


REWRITE_RULES = {
    "not-in-subquery": "NOT IN (subquery) to NOT EXISTS, when neither side can be NULL",
    "or-across-columns": "OR across columns to UNION ALL with disjoint branches",
    "correlated-scalar-subquery": "correlated scalar subquery to LEFT JOIN LATERAL",
    "count-for-existence": "count(*) compared with zero to EXISTS / NOT EXISTS",
    "date-function-equality": "date_trunc / date() / ::date / extract(year) equality to a range on the bare column",
    "deep-offset": "OFFSET pagination to keyset pagination (advice)",
}

REWRITERS = (
    rewrite_not_in,
    rewrite_or_union,
    rewrite_correlated_select,
    rewrite_count_exists,
    rewrite_sargable_dates,
    rewrite_keyset,
)


# What a query must contain for each rewriter to have anything to do (necessary, not sufficient): each rewriter
# parses a fresh tree of its own (it changes it), so one that cannot apply is not asked. Read from the one tree
# `rewrite` parses first: node type names, "OR" for an OR, "OFFSET" for a statement with an OFFSET.
NEEDS = {
    rewrite_not_in: {"SubLink"},
    rewrite_or_union: {"OR"},
    rewrite_correlated_select: {"SubLink"},
    rewrite_count_exists: {"FuncCall"},
    rewrite_sargable_dates: {"FuncCall", "TypeCast"},  # either: date_trunc(), date(), extract() or ::date
    rewrite_keyset: {"OFFSET"},
}


def _features(statements) -> set[str]:
    found = set()
    for statement in statements:
        if getattr(statement.stmt, "limitOffset", None) is not None:
            found.add("OFFSET")
        for node in walk(statement):
            found.add(type(node).__name__)
            if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.OR_EXPR:
                found.add("OR")
    return found


def rewrite(sql: str, schema: SchemaInfo | None = None) -> list[Rewrite]:
    """Every deterministic rewrite that applies to `sql`; each output has been re-parsed."""
    try:
        features = _features(parse_sql(sql))
    except Exception:  # noqa: BLE001 - an unparsable query has no rewrites; analyze() reports the syntax error
        return []
    out = []
    for rewriter in REWRITERS:
        needs = NEEDS.get(rewriter)  # a rewriter not listed is always asked
        if needs is not None and not needs & features:
            continue
        try:
            results = rewriter(sql, schema)
        except Skip:
            continue
        except Exception:  # a bug in one rewriter must not take the others (or the request) down
            logger.exception("rewriter %s failed", rewriter.__name__)
            continue
        for result in results:
            if _parses(result.sql):
                out.append(result)
    return out


def _parses(sql: str) -> bool:
    try:
        return len(parse_sql(sql)) == 1
    except Exception:  # noqa: BLE001
        return False


__all__ = ["NEEDS", "REWRITERS", "REWRITE_RULES", "Rewrite", "rewrite"]
