"""Parse-tree helpers every rule shares: walking pglast nodes, reading columns, constants and operators,
and the predicate shapes several rules look for. Plain functions over pglast's tree; those taking `ctx` read a
`RuleContext` (scopes, parents) and never import it, so this module sits below context.py."""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, SubLinkType
from pglast.stream import RawStream

RANGE_OPS = {"=", "<", ">", "<=", ">="}

AGGREGATES = {
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "every",
    "array_agg",
    "string_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "bit_and",
    "bit_or",
    "bit_xor",
    "xmlagg",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_count",
    "any_value",
}


LITERAL_TOKENS = {"SCONST", "ICONST", "FCONST", "BCONST", "XCONST", "USCONST", "NULL_P", "TRUE_P", "FALSE_P"}


def children(node):
    """The direct child nodes of a pglast node, in field order."""
    for name in node.__slots__:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, ast.Node):
                    yield item
                elif isinstance(item, tuple):  # lists of lists: VALUES rows, multi-arg sort groups
                    yield from (i for i in item if isinstance(i, ast.Node))


def walk(node, stop=()):
    """Every node below `node` (itself included), depth first; does not descend into `stop` node types
    (not even when `node` itself is one)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if stop and isinstance(current, stop):
            continue
        stack.extend(reversed(list(children(current))))


def op_name(expr) -> str | None:
    """The operator of an A_Expr ("=", "~~", "<>") or None."""
    if isinstance(expr, ast.A_Expr) and expr.name:
        return expr.name[-1].sval
    return None


def func_name(node) -> str | None:
    if isinstance(node, ast.FuncCall):
        return node.funcname[-1].sval.lower()
    return None


def is_const(node) -> bool:
    """A literal, a parameter, or a cast of one: something the planner knows before it scans."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, (ast.A_Const, ast.ParamRef))


def is_constant_expr(node) -> bool:
    """No column and no subquery inside: known before the scan (`now() - interval '1 day'`, `lower($1)`)."""
    if isinstance(node, tuple):
        return all(is_constant_expr(n) for n in node)
    return not any(isinstance(n, (ast.ColumnRef, ast.SubLink)) for n in walk(node))


def const_value(node):
    """The Python value of a literal (None for NULL or a non-literal)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and not node.isnull:
        val = node.val
        for attr in ("ival", "fval", "sval", "boolval", "bsval"):
            if hasattr(val, attr):
                return getattr(val, attr)
    return None


def is_null_const(node) -> bool:
    return isinstance(node, ast.A_Const) and node.isnull


def is_column(node) -> bool:
    return isinstance(node, ast.ColumnRef) and not isinstance(node.fields[-1], ast.A_Star)


def column_parts(node) -> tuple[str | None, str]:
    """(qualifier, column) of a ColumnRef; qualifier is the alias or table name written before the column."""
    names = [f.sval for f in node.fields if isinstance(f, ast.String)]
    qualifier = names[-2].lower() if len(names) >= 2 else None
    return qualifier, names[-1].lower()


def conjuncts(expr) -> list:
    """The top-level AND terms of a boolean expression."""
    if expr is None:
        return []
    if isinstance(expr, ast.BoolExpr) and expr.boolop == BoolExprType.AND_EXPR:
        out = []
        for arg in expr.args:
            out.extend(conjuncts(arg))
        return out
    return [expr]


def columns_in(node, stop_at_sublinks=True) -> list:
    """The column references inside an expression (not those of nested subqueries, by default)."""
    stop = (ast.SubLink,) if stop_at_sublinks else ()
    return [n for n in walk(node, stop) if is_column(n)]


def is_aggregate_call(node) -> bool:
    return (
        isinstance(node, ast.FuncCall)
        and node.over is None
        and (node.agg_star or node.agg_distinct or func_name(node) in AGGREGATES or node.agg_filter is not None)
    )


def canonical(node) -> str:
    """A stable text form of an expression for comparing a query's expression to an index's: qualifiers
    and casts dropped, names lower-cased."""
    if node is None:
        return ""
    if isinstance(node, ast.ColumnRef):
        return column_parts(node)[1] if is_column(node) else "*"
    if isinstance(node, ast.TypeCast):
        return canonical(node.arg)
    if isinstance(node, ast.A_Const):
        value = const_value(node)
        return "NULL" if node.isnull else repr(value)
    if isinstance(node, ast.FuncCall):
        name = func_name(node)
        args = ",".join(canonical(a) for a in node.args or ())
        return f"{name}({args})"
    if isinstance(node, ast.A_Expr):
        right = node.rexpr
        right_text = ",".join(canonical(r) for r in right) if isinstance(right, tuple) else canonical(right)
        return f"({canonical(node.lexpr)} {op_name(node)} {right_text})"
    if isinstance(node, ast.CoalesceExpr):
        return "coalesce(" + ",".join(canonical(a) for a in node.args) + ")"
    return type(node).__name__


def sql_of(node) -> str:
    """The SQL text of a node, for a fix that names what the query wrote."""
    try:
        return RawStream()(node)
    except Exception:  # noqa: BLE001 - a fix text must never fail a lint
        return "?"


def _single_range_var(select):
    items = list(getattr(select, "fromClause", None) or ())
    return items[0] if len(items) == 1 and isinstance(items[0], ast.RangeVar) else None


def not_exists_text(ctx, sub) -> str:
    """`NOT EXISTS (SELECT 1 FROM inner WHERE inner.col = outer.x)` for `x NOT IN (SELECT col FROM inner)`."""
    select = sub.subselect
    outer = sql_of(sub.testexpr) if sub.testexpr is not None else "?"
    outer_item = _single_range_var(ctx.enclosing_statement(sub))
    if is_column(sub.testexpr) and column_parts(sub.testexpr)[0] is None and outer_item is not None:
        # Inside the subquery an unqualified name could bind to the inner table: qualify it.
        outer = f"{outer_item.alias.aliasname if outer_item.alias else outer_item.relname}.{outer}"
    target = select.targetList[0].val if isinstance(select, ast.SelectStmt) and select.targetList else None
    item = _single_range_var(select)
    if target is None or item is None or not is_column(target):
        return f"`NOT EXISTS (SELECT 1 FROM ... WHERE ... = {outer})`"
    alias = item.alias.aliasname if item.alias else item.relname
    if outer_item is not None and not item.alias and outer.startswith(f"{alias}."):
        alias = "sub"  # the same table on both sides: the inner one needs a name of its own
        item = ast.RangeVar(
            relname=item.relname,
            schemaname=item.schemaname,
            inh=True,
            relpersistence="p",
            alias=ast.Alias(aliasname="sub"),
        )
    column = f"{alias}.{column_parts(target)[1]}"
    where = f"{column} = {outer}"
    if select.whereClause is not None:
        where += f" AND {sql_of(select.whereClause)}"
    return f"`NOT EXISTS (SELECT 1 FROM {sql_of(item)} WHERE {where})`"


DATE_FUNCTIONS = {"date_trunc", "date", "extract", "date_part"}


def comparisons(ctx, ops=RANGE_OPS):
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_OP and op_name(expr) in ops and not isinstance(expr.rexpr, tuple):
            yield expr


def column_key(ctx, colref) -> str:
    qualifier, column = column_parts(colref)
    return f"{qualifier or ''}.{column}"


def simple_predicate_column(expr):
    """The one column a simple predicate (col op const, col IN (...), col LIKE ..., col IS NULL) tests."""
    if isinstance(expr, ast.A_Expr):
        left, right = expr.lexpr, expr.rexpr
        right_nodes = right if isinstance(right, tuple) else (right,)
        if is_column(left) and all(is_const(r) for r in right_nodes):
            return left
        if not isinstance(right, tuple) and is_column(right) and is_const(left):
            return right
    if isinstance(expr, (ast.NullTest, ast.BooleanTest)) and is_column(expr.arg):
        return expr.arg
    if is_column(expr):  # a boolean column used as a condition
        return expr
    return None


def relation_count(stmt) -> int:
    count = 0
    for item in stmt.fromClause or ():
        for node in walk(item, stop=(ast.RangeSubselect, ast.RangeFunction, ast.SubLink)):
            if isinstance(node, (ast.RangeVar, ast.RangeSubselect, ast.RangeFunction)):
                count += 1
    return count


def date_wrapped_column(node):
    """The column inside date_trunc(unit, col), date(col), extract(f from col), date_part(f, col) or
    col::date, or None."""
    name = func_name(node)
    if name in DATE_FUNCTIONS and node.args:
        inner = node.args[-1]
        return inner if is_column(inner) else None
    if isinstance(node, ast.TypeCast) and is_column(node.arg):
        type_name = node.typeName.names[-1].sval.lower()
        return node.arg if type_name == "date" else None
    return None


def not_in_sublinks(ctx):
    """`x NOT IN (SELECT ...)` and its twin `x <> ALL (SELECT ...)`."""
    for sub in ctx.of(ast.SubLink):
        if sub.subLinkType == SubLinkType.ANY_SUBLINK and not sub.operName:
            parent = ctx.parent_of(sub)
            if isinstance(parent, ast.BoolExpr) and parent.boolop == BoolExprType.NOT_EXPR:
                yield parent, sub
        elif sub.subLinkType == SubLinkType.ALL_SUBLINK and sub.operName and sub.operName[-1].sval in ("<>", "!="):
            yield sub, sub


def flat_from_items(items) -> list:
    """FROM items with joins opened up, in order."""
    out = []
    for item in items:
        if isinstance(item, ast.JoinExpr):
            out += flat_from_items([item.larg, item.rarg])
        else:
            out.append(item)
    return out


def is_scalar_correlated(ctx, sub) -> bool:
    return (
        isinstance(sub, ast.SubLink)
        and sub.subLinkType == SubLinkType.EXPR_SUBLINK
        and isinstance(sub.subselect, ast.SelectStmt)
        and ctx.is_correlated(sub.subselect)
    )


CASE_FUNCTIONS = {"lower", "upper"}


def wrapped_column(node):
    """The column a function call or cast wraps directly (`lower(email)`, `created_at::date`), or None."""
    if isinstance(node, ast.FuncCall) and not is_aggregate_call(node) and node.over is None:
        cols = [a for a in node.args or () if is_column(a)]
        others = [a for a in node.args or () if not is_column(a) and not is_const(a)]
        if len(cols) == 1 and not others:
            return cols[0]
    if isinstance(node, ast.CoalesceExpr) and is_column(node.args[0]) and all(is_const(a) for a in node.args[1:]):
        return node.args[0]
    if isinstance(node, ast.TypeCast) and is_column(node.arg):
        return node.arg
    return None


def predicate_comparisons(ctx):
    """Index-relevant comparisons inside WHERE / ON / HAVING: (expr, side, other side)."""
    for expr in ctx.of(ast.A_Expr):
        if not ctx.in_predicate(expr):
            continue
        if expr.kind == A_Expr_Kind.AEXPR_OP and op_name(expr) in RANGE_OPS:
            yield expr, expr.lexpr, expr.rexpr
            yield expr, expr.rexpr, expr.lexpr
        elif expr.kind in (A_Expr_Kind.AEXPR_IN, A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE) and op_name(expr) in (
            "=",
            "~~",
            "~~*",
        ):
            yield expr, expr.lexpr, expr.rexpr
        elif expr.kind == A_Expr_Kind.AEXPR_BETWEEN:
            yield expr, expr.lexpr, expr.rexpr


def column_equalities(ctx):
    """Column = column conditions anywhere in WHERE / ON."""
    for expr in ctx.of(ast.A_Expr):
        if (
            expr.kind == A_Expr_Kind.AEXPR_OP
            and op_name(expr) == "="
            and is_column(expr.lexpr)
            and is_column(expr.rexpr)
            and ctx.in_predicate(expr)
        ):
            yield expr


def single_table(ctx, select):
    items = list(select.fromClause or ())
    if len(items) != 1 or not isinstance(items[0], ast.RangeVar):
        return None, None
    name = items[0].relname.lower()
    return name, ctx.table(name)


def equality_columns(ctx, where) -> set[str]:
    cols = set()
    for term in conjuncts(where):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and is_const(b):
                    cols.add(column_parts(a)[1])
    return cols
