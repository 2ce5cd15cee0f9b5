"""What a query asks of each table: its predicates, joins, sort and grouping.

The index advisor builds candidates from this. Plain Python over pglast's parse tree;
column references stay as written (alias or None) until `resolve` matches them to
tables with the catalog's column lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream
from pglast.visitors import Visitor

EQ_OPS = {"="}
RANGE_OPS = {"<", "<=", ">", ">="}
TEXT_MATCH_OPS = {"~~", "~~*"}  # LIKE, ILIKE (AEXPR_OP form)
JSON_CONTAINS_OPS = {"@>", "<@", "?", "?|", "?&", "&&"}  # jsonb and array operators a GIN index serves
NE_OPS = {"<>", "!="}


@dataclass
class Predicate:
    """One conjunct that constrains a column (or an expression over one column) of one table."""

    alias: str | None
    column: str
    kind: str  # eq | range | isnull | trgm | jsonb | jsonb_key | prefix | bool | ne
    expression: str | None = None  # "lower(email)" when the predicate is on an expression
    constant: str | None = None  # the literal SQL for `col = <literal>`: a partial index may use it
    negated: bool = False
    # For bool and ne: the predicate as SQL without the alias (`NOT hidden`, `status <> 'removed'`), the WHERE of a
    # partial index; these are never key columns (an index on `status` does not serve `status <> 'removed'`).
    partial_sql: str | None = None
    param: int | None = None  # `col = $n`: the parameter's number


@dataclass
class JoinColumn:
    alias: str | None
    column: str


@dataclass
class SortKey:
    alias: str | None
    column: str
    descending: bool = False
    nulls: str | None = None  # "FIRST" / "LAST" when written


@dataclass
class SelectShape:
    """One SELECT block: its own FROM items and what it asks of them."""

    relations: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # alias -> (schema, table)
    predicates: list[Predicate] = field(default_factory=list)
    joins: list[JoinColumn] = field(default_factory=list)
    order_by: list[SortKey] = field(default_factory=list)
    group_by: list[JoinColumn] = field(default_factory=list)
    referenced: list[JoinColumn] = field(default_factory=list)  # every column the block reads
    star: bool = False
    has_limit: bool = False


def _deparse(node) -> str:
    return RawStream()(node)


def _column_ref(node) -> tuple[str | None, str] | None:
    if not isinstance(node, ast.ColumnRef):
        return None
    names = [f.sval for f in node.fields if isinstance(f, ast.String)]
    if len(names) != len(node.fields) or not names:
        return None  # alias.* and the like
    if len(names) == 1:
        return None, names[0]
    return names[-2], names[-1]


def _column_refs(node) -> list[tuple[str | None, str]]:
    """Column references inside `node`, not descending into subqueries."""
    found: list[tuple[str | None, str]] = []

    def walk(n):
        if isinstance(n, ast.SubLink) or isinstance(n, ast.SelectStmt):
            return
        ref = _column_ref(n)
        if ref is not None:
            found.append(ref)
            return
        if isinstance(n, ast.Node):
            for name in n:
                walk(getattr(n, name))
        elif isinstance(n, (tuple, list)):
            for item in n:
                walk(item)

    walk(node)
    return found


def _string_literal(node) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return node.val.sval
    return None


def _literal_sql(node) -> str:
    """A literal as the user would write it: `'pending'`, not EXPLAIN's `'pending'::text` (the column's type
    decides; a partial index predicate must match the query's constant, which it does either way)."""
    while isinstance(node, ast.TypeCast) and isinstance(node.arg, (ast.A_Const, ast.TypeCast)):
        node = node.arg
    return _deparse(node)


def _param(node) -> int | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node.number if isinstance(node, ast.ParamRef) else None


def _column_sql(name: str) -> str:
    return _deparse(ast.ColumnRef(fields=(ast.String(sval=name),)))


def _is_literal(node) -> bool:
    if isinstance(node, ast.A_Const):
        return not node.isnull
    if isinstance(node, ast.TypeCast):
        return _is_literal(node.arg)
    return False


class _Selects(Visitor):
    def __init__(self):
        self.found = []

    def visit_SelectStmt(self, ancestors, node):
        self.found.append(node)


def _conjuncts(node) -> list:
    if node is None:
        return []
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        out = []
        for arg in node.args:
            out.extend(_conjuncts(arg))
        return out
    return [node]


class _ShapeBuilder:
    def __init__(self, stmt: ast.SelectStmt | None):
        self.stmt = stmt
        self.shape = SelectShape()

    def build(self) -> SelectShape:
        stmt = self.stmt
        quals = []
        for item in stmt.fromClause or ():
            quals.extend(self._from_item(item))
        for cond in _conjuncts(stmt.whereClause) + quals:
            self._condition(cond)
        outputs = self._outputs()
        for sort in stmt.sortClause or ():
            ref = self._output_ref(sort.node, outputs)
            if ref is None:
                continue
            nulls = {enums.SortByNulls.SORTBY_NULLS_FIRST: "FIRST", enums.SortByNulls.SORTBY_NULLS_LAST: "LAST"}.get(
                sort.sortby_nulls
            )
            self.shape.order_by.append(
                SortKey(ref[0], ref[1], descending=sort.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls=nulls)
            )
        for group in stmt.groupClause or ():
            ref = self._output_ref(group, outputs)
            if ref is not None:
                self.shape.group_by.append(JoinColumn(*ref))
        for target in stmt.targetList or ():
            value = target.val if isinstance(target, ast.ResTarget) else target
            if isinstance(value, ast.ColumnRef) and isinstance(value.fields[-1], ast.A_Star):
                self.shape.star = True
        for part in (stmt.targetList, stmt.whereClause, stmt.sortClause, stmt.groupClause, stmt.havingClause):
            if part is not None:
                self.shape.referenced.extend(JoinColumn(*r) for r in _column_refs(part))
        for q in quals:
            self.shape.referenced.extend(JoinColumn(*r) for r in _column_refs(q))
        self.shape.has_limit = stmt.limitCount is not None
        return self.shape

    def _outputs(self) -> list[tuple[str | None, ast.Node]]:
        """The select list as (alias or None, expression), in order."""
        return [
            (target.name, target.val) if isinstance(target, ast.ResTarget) else (None, target)
            for target in self.stmt.targetList or ()
        ]

    def _output_ref(self, node, outputs) -> tuple[str | None, str] | None:
        """The column an ORDER BY / GROUP BY item sorts by: a column, an ordinal (`ORDER BY 1`) or an output alias
        (`rental_date AS d ... ORDER BY d`), each resolved to the column of the select list it names."""
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
            position = node.val.ival
            return _column_ref(outputs[position - 1][1]) if 0 < position <= len(outputs) else None
        ref = _column_ref(node)
        if ref is not None and ref[0] is None:
            # ORDER BY reads a bare name as an output alias first (GROUP BY the other way round: rare enough here).
            named = [value for alias, value in outputs if alias == ref[1]]
            if len(named) == 1:
                return _column_ref(named[0])
        return ref

    def _from_item(self, item) -> list:
        if isinstance(item, ast.RangeVar):
            alias = item.alias.aliasname if item.alias else item.relname
            self.shape.relations[alias] = (item.schemaname, item.relname)
            return []
        if isinstance(item, ast.JoinExpr):
            quals = self._from_item(item.larg) + self._from_item(item.rarg)
            if item.quals is not None:
                quals.extend(_conjuncts(item.quals))
            for name in item.usingClause or ():
                # USING (col): both sides join on col; resolved later against each table.
                self.shape.joins.append(JoinColumn(None, name.sval))
            return quals
        return []  # subselects and functions are analysed as their own blocks

    def _local(self, alias: str | None) -> bool:
        return alias is None or alias in self.shape.relations

    def _value_side(self, node) -> bool:
        """True when `node` holds no column of this block (a literal, a parameter, an outer column)."""
        return all(not self._local(a) for a, _ in _column_refs(node)) and not isinstance(node, ast.SubLink)

    def _condition(self, cond) -> None:
        if isinstance(cond, ast.NullTest) and cond.nulltesttype == enums.NullTestType.IS_NULL:
            ref = _column_ref(cond.arg)
            if ref:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "isnull", constant="IS NULL"))
            return
        if self._boolean(cond):
            return
        if not isinstance(cond, ast.A_Expr):
            return
        op = cond.name[-1].sval if cond.name else ""
        kind = cond.kind
        left, right = cond.lexpr, cond.rexpr
        if kind == enums.A_Expr_Kind.AEXPR_OP and op in EQ_OPS | RANGE_OPS:
            lref, rref = _column_ref(left), _column_ref(right)
            if lref and rref and self._local(lref[0]) and self._local(rref[0]) and lref[0] != rref[0]:
                if op == "=":
                    self.shape.joins.extend([JoinColumn(*lref), JoinColumn(*rref)])
                return
            for col_side, val_side in ((left, right), (right, left)):
                if self._value_side(val_side):
                    flipped = col_side is right
                    self._column_predicate(col_side, val_side, op, flipped)
                    return
            return
        if kind == enums.A_Expr_Kind.AEXPR_OP and op in NE_OPS:
            ref = _column_ref(left)
            if ref and self._local(ref[0]) and _is_literal(right):
                # An exclusion written in the SQL (`status <> 'removed'`): a partial index's WHERE, never a key.
                self.shape.predicates.append(
                    Predicate(
                        ref[0],
                        ref[1],
                        "ne",
                        partial_sql=f"{_column_sql(ref[1])} <> {_literal_sql(right)}",
                        constant=_literal_sql(right),
                    )
                )
            return
        if kind == enums.A_Expr_Kind.AEXPR_OP_ANY and op == "=":
            ref = _column_ref(_without_text_cast(left))
            if ref and self._local(ref[0]) and self._value_side(right):
                self.shape.predicates.append(Predicate(ref[0], ref[1], "eq"))
            return
        if kind == enums.A_Expr_Kind.AEXPR_IN and op == "=":
            ref = _column_ref(_without_text_cast(left))
            if ref:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "eq"))
            return
        if kind in (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_BETWEEN_SYM):
            ref = _column_ref(left)
            if ref:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "range"))
            return
        if kind in (enums.A_Expr_Kind.AEXPR_LIKE, enums.A_Expr_Kind.AEXPR_ILIKE) or op in TEXT_MATCH_OPS:
            ref = _column_ref(_without_text_cast(left))
            if not ref or op.startswith("!"):
                return
            pattern = _string_literal(right)
            if pattern is not None and not pattern.startswith(("%", "_")) and op == "~~":
                self.shape.predicates.append(Predicate(ref[0], ref[1], "prefix"))
            else:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "trgm"))
            return
        if kind == enums.A_Expr_Kind.AEXPR_OP and op in JSON_CONTAINS_OPS:
            ref = _column_ref(left)
            if ref and self._value_side(right):
                # `?`, `?|`, `?&` need the default jsonb_ops class; `@>` is served by jsonb_path_ops too.
                kind = "jsonb_key" if op.startswith("?") else "jsonb"
                self.shape.predicates.append(Predicate(ref[0], ref[1], kind))

    def _boolean(self, cond) -> bool:
        """`WHERE starred`, `NOT hidden`, `starred IS TRUE`, `deleted_at IS NOT NULL`: partial-index predicates."""
        target = cond
        if isinstance(cond, ast.BoolExpr) and cond.boolop == enums.BoolExprType.NOT_EXPR and len(cond.args) == 1:
            target = cond.args[0]
        elif isinstance(cond, ast.BooleanTest):
            target = cond.arg
        elif isinstance(cond, ast.NullTest) and cond.nulltesttype == enums.NullTestType.IS_NOT_NULL:
            target = cond.arg
        elif not isinstance(cond, ast.ColumnRef):
            return False
        ref = _column_ref(target)
        if ref is None or not self._local(ref[0]):
            return isinstance(cond, ast.ColumnRef)
        kind = "ne" if isinstance(cond, ast.NullTest) else "bool"
        self.shape.predicates.append(Predicate(ref[0], ref[1], kind, partial_sql=_strip_alias(cond, ref[0])))
        return True

    def _column_predicate(self, col_side, val_side, op, flipped) -> None:
        kind = "eq" if op == "=" else "range"
        ref = _column_ref(_without_text_cast(col_side))
        constant = _literal_sql(val_side) if kind == "eq" and _is_literal(val_side) else None
        if ref:
            if not self._local(ref[0]):
                return
            self.shape.predicates.append(Predicate(ref[0], ref[1], kind, constant=constant, param=_param(val_side)))
            return
        # An expression over exactly one column of this block: lower(email) = $1.
        refs = [r for r in _column_refs(col_side) if self._local(r[0])]
        if len({r for r in refs}) == 1 and not isinstance(col_side, ast.SubLink):
            alias, column = refs[0]
            self.shape.predicates.append(
                Predicate(alias, column, kind, expression=_strip_alias(col_side, alias), constant=constant)
            )


# Casts the planner adds to compare a varchar or char column with text: the column's own index serves them.
_TEXT_TYPES = {"text", "varchar", "bpchar"}


def _without_text_cast(node):
    while (
        isinstance(node, ast.TypeCast)
        and isinstance(node.arg, (ast.ColumnRef, ast.TypeCast))
        and node.typeName.names[-1].sval in _TEXT_TYPES
    ):
        node = node.arg
    return node


def _strip_alias(node, alias: str | None) -> str:
    """The expression's SQL with `alias.` removed from its columns, as an index definition needs it."""
    text = _deparse(node)
    if not alias:
        return text
    copy = parse_sql("SELECT " + text)[0].stmt.targetList[0].val

    class _Unqualify(Visitor):
        def visit_ColumnRef(self, ancestors, ref):
            if len(ref.fields) > 1 and isinstance(ref.fields[-2], ast.String) and ref.fields[-2].sval == alias:
                ref.fields = (ref.fields[-1],)

        def visit_TypeCast(self, ancestors, cast):
            # EXPLAIN's `'a'::text` inside `meta ->> 'a'::text`: the index expression reads as the query wrote it.
            if isinstance(cast.arg, ast.A_Const) and cast.typeName.names[-1].sval in _TEXT_TYPES:
                return cast.arg
            return None

    _Unqualify()(copy)
    return _deparse(copy)


def select_shapes(sql: str) -> list[SelectShape]:
    """Every SELECT block of `sql` (CTEs, subqueries, UNION arms), outermost first."""
    statements = parse_sql(sql)
    visitor = _Selects()
    for raw in statements:
        visitor(raw.stmt)
    return [_ShapeBuilder(s).build() for s in visitor.found if s.op == enums.SetOperation.SETOP_NONE]


def tables_of(sql: str) -> list[tuple[str | None, str]]:
    """The (schema, table) pairs a query reads, in first-seen order."""
    seen: list[tuple[str | None, str]] = []
    for shape in select_shapes(sql):
        for rel in shape.relations.values():
            if rel not in seen:
                seen.append(rel)
    return seen


def equality_parameters(sql: str) -> dict[int, tuple[list[tuple[str | None, str]], str]]:
    """For each `column = $n` of the statement: n -> (the tables the column may belong to, the column)."""
    found = {}
    for shape in select_shapes(sql):
        for p in shape.predicates:
            if p.param is None or p.kind != "eq" or p.expression:
                continue
            tables = [shape.relations[p.alias]] if p.alias in shape.relations else list(shape.relations.values())
            found.setdefault(p.param, (tables, p.column))
    return found


def param_count(sql: str) -> int:
    """The highest $n in the query (0 when it has none)."""
    highest = 0

    class _Params(Visitor):
        def visit_ParamRef(self, ancestors, node):
            nonlocal highest
            highest = max(highest, node.number)

    params = _Params()
    for raw in parse_sql(sql):
        params(raw.stmt)
    return highest


# --- shapes read from a plan ---------------------------------------------------------------------------------------

# Plan keys that hold a condition, and those that hold sort or group keys (EXPLAIN VERBOSE qualifies every column).
_CONDITION_KEYS = ("Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond", "TID Cond")
# Parts of EXPLAIN's text that are not SQL: subplan references stand for a value computed elsewhere.
_NOT_SQL = [
    (re.compile(r"\(alternatives: [^()]*\)"), "NULL"),
    (re.compile(r"\((?:hashed )?SubPlan \d+\)"), "NULL"),
    (re.compile(r"\(InitPlan \d+\)\.col\d+"), "NULL"),
    (re.compile(r"(?:hashed )?SubPlan \d+"), "NULL"),
]


@dataclass
class PlanRelation:
    alias: str
    schema: str
    name: str
    node_type: str


def _plan_expression(text: str):
    for pattern, repl in _NOT_SQL:
        text = pattern.sub(repl, text)
    try:
        return parse_sql(f"SELECT 1 WHERE {text}")[0].stmt.whereClause
    except Exception:  # noqa: BLE001 - pglast's ParseError: a plan expression we cannot read is skipped
        return None


def _plan_sort_keys(keys: list[str]) -> list:
    try:
        return list(parse_sql("SELECT 1 ORDER BY " + ", ".join(keys))[0].stmt.sortClause or ())
    except Exception:  # noqa: BLE001 - as above
        return []


def plan_relations(plan: dict) -> list[PlanRelation]:
    """Every relation a plan reads (base tables under views, partitions, catalogs), in plan order."""
    found: list[PlanRelation] = []

    def walk(node):
        if "Relation Name" in node and node.get("Node Type") != "ModifyTable":
            alias = node.get("Alias") or node["Relation Name"]
            found.append(PlanRelation(alias, node.get("Schema") or "", node["Relation Name"], node["Node Type"]))
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return found


def plan_shape(plan: dict, relations: dict[str, tuple[str, str]]) -> SelectShape:
    """What a VERBOSE plan asks of each relation: the planner has already expanded views, inlined CTEs, pulled up
    subqueries, resolved ORDER BY 1 and aliases, and qualified every column. `relations` maps the plan's aliases
    to the (schema, table) the advice is for (a partition's alias to its partitioned parent)."""
    builder = _ShapeBuilder(None)
    shape = builder.shape
    shape.relations.update(relations)

    def walk(node):
        for key in _CONDITION_KEYS:
            if key in node:
                expr = _plan_expression(node[key])
                for cond in _conjuncts(expr):
                    builder._condition(cond)
                if expr is not None:
                    shape.referenced.extend(JoinColumn(*r) for r in _column_refs(expr) if r[0] in relations)
        if node.get("Node Type") in ("Sort", "Incremental Sort") and not shape.order_by:
            for sort in _plan_sort_keys(node.get("Sort Key", [])):
                ref = _column_ref(sort.node)
                if ref is None or ref[0] not in relations:
                    continue
                nulls = {
                    enums.SortByNulls.SORTBY_NULLS_FIRST: "FIRST",
                    enums.SortByNulls.SORTBY_NULLS_LAST: "LAST",
                }.get(sort.sortby_nulls)
                descending = sort.sortby_dir == enums.SortByDir.SORTBY_DESC
                shape.order_by.append(SortKey(ref[0], ref[1], descending=descending, nulls=nulls))
        if "Group Key" in node and not shape.group_by:
            for sort in _plan_sort_keys(node["Group Key"]):
                ref = _column_ref(sort.node)
                if ref is not None and ref[0] in relations:
                    shape.group_by.append(JoinColumn(*ref))
        if "Relation Name" in node and node.get("Alias") in relations:
            for out in node.get("Output", ()):
                expr = _plan_expression(out)
                if expr is not None:
                    shape.referenced.extend(JoinColumn(*r) for r in _column_refs(expr) if r[0] in relations)
        shape.has_limit = shape.has_limit or node.get("Node Type") == "Limit"
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    shape.referenced = [r for r in shape.referenced if r.column not in ("ctid", "tableoid")]
    return shape


# --- the statement the application runs ------------------------------------------------------------------------------


@dataclass
class Literal:
    """A literal the statement compares a column with, replaced by `$number` in the parameterized form."""

    alias: str | None
    column: str
    number: int
    sql: str
    equality: bool


def parameterize(sql: str, keep: set[str] = frozenset()) -> tuple[str, list[Literal]]:
    """The statement as an application sends it: each literal compared with a column becomes $n (numbered after the
    statement's own), except literals on the columns in `keep` (a partial index's constants, which are part of the
    query's text in every call). The literal's type cast is kept, so PREPARE infers the same types."""
    statement = parse_sql(sql)[0].stmt
    literals: list[Literal] = []
    first = param_count(sql)

    def replace(value, ref, equality):
        if ref is None or ref[1] in keep or not _is_literal(value):
            return value
        number = first + len(literals) + 1
        literals.append(Literal(ref[0], ref[1], number, _literal_sql(value), equality))
        param = ast.ParamRef(number=number)
        return ast.TypeCast(arg=param, typeName=value.typeName) if isinstance(value, ast.TypeCast) else param

    class _Literals(Visitor):
        def visit_A_Expr(self, ancestors, node):
            op = node.name[-1].sval if node.name else ""
            if node.kind == enums.A_Expr_Kind.AEXPR_OP and op in EQ_OPS | RANGE_OPS:
                lref, rref = _column_ref(_without_text_cast(node.lexpr)), _column_ref(_without_text_cast(node.rexpr))
                node.rexpr = replace(node.rexpr, lref, op == "=")
                node.lexpr = replace(node.lexpr, rref, op == "=")
            elif node.kind == enums.A_Expr_Kind.AEXPR_BETWEEN and isinstance(node.rexpr, (list, tuple)):
                ref = _column_ref(_without_text_cast(node.lexpr))
                node.rexpr = tuple(replace(v, ref, False) for v in node.rexpr)

    _Literals()(statement)
    return _deparse(statement), literals
