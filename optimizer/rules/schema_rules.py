"""Rules that read schema facts (column types, nullability, indexes, foreign keys, row estimates).

Each one stays silent when the facts it needs are missing: it never guesses.
"""

from __future__ import annotations

from functools import lru_cache

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, SetOperation, SortByDir, SubLinkType

from optimizer.rules.context import (
    RANGE_OPS,
    RuleContext,
    canonical,
    column_parts,
    columns_in,
    conjuncts,
    const_value,
    func_name,
    is_aggregate_call,
    is_column,
    is_const,
    is_constant_expr,
    not_exists_text,
    op_name,
    sql_of,
    walk,
)
from optimizer.rules.model import IndexInfo, TableInfo
from optimizer.rules.query_rules import date_wrapped_column, not_in_sublinks
from optimizer.rules.registry import rule

SMALL_TABLE_ROWS = 1000
BIG_TABLE_ROWS = 100_000
PATTERN_OPCLASSES = {"text_pattern_ops", "varchar_pattern_ops", "bpchar_pattern_ops"}
TRGM_OPCLASSES = {"gin_trgm_ops", "gist_trgm_ops"}
CASE_FUNCTIONS = {"lower", "upper"}

TYPE_FAMILIES = {
    "smallint": "int",
    "int2": "int",
    "integer": "int",
    "int": "int",
    "int4": "int",
    "bigint": "int",
    "int8": "int",
    "serial": "int",
    "bigserial": "int",
    "smallserial": "int",
    "numeric": "numeric",
    "decimal": "numeric",
    "real": "float",
    "float4": "float",
    "double precision": "float",
    "float8": "float",
    "money": "money",
    "text": "text",
    "character varying": "text",
    "varchar": "text",
    "character": "text",
    "char": "text",
    "bpchar": "text",
    "citext": "text",
    "name": "text",
    "uuid": "uuid",
    "boolean": "bool",
    "bool": "bool",
    "date": "time",
    "timestamp": "time",
    "timestamp without time zone": "time",
    "timestamp with time zone": "time",
    "timestamptz": "time",
    "json": "json",
    "jsonb": "jsonb",
}
CAST_FAMILIES = {"int4": "int", "int8": "int", "int2": "int", "numeric": "numeric", "float8": "float", "text": "text"}


def type_family(type_name: str | None) -> str | None:
    if not type_name:
        return None
    base = type_name.lower().split("(")[0].strip()
    if base.endswith("[]"):
        return "array"
    return TYPE_FAMILIES.get(base)


def indexes_led_by(table: TableInfo, column: str) -> list[IndexInfo]:
    return [i for i in table.indexes if i.columns and i.columns[0] == column and not i.expressions]


def has_expression_index(table: TableInfo, expr) -> bool:
    """Is there an index on exactly this expression (qualifiers and casts ignored)?"""
    wanted = canonical(expr)
    for index in table.indexes:
        for text in index.expressions:
            if expression_text_canonical(text) == wanted:
                return True
    return False


@lru_cache(maxsize=4096)
def expression_text_canonical(text: str) -> str:
    """The canonical form of an index expression as the catalog spells it (`lower((email)::text)`)."""
    try:
        node = parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    except Exception:  # noqa: BLE001 - an unparsable expression simply matches nothing
        return f"<unparsable {text}>"
    return canonical(node)


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


def harmless_cast(table: TableInfo, column: str, cast) -> bool:
    """A cast PostgreSQL drops or relabels, so the column's index still applies: to the column's own type, or
    between the text types (varchar -> text uses the text operator class)."""
    info = table.columns.get(column)
    if info is None:
        return False
    target = cast.typeName.names[-1].sval.lower()
    target_family = CAST_FAMILIES.get(target) or TYPE_FAMILIES.get(target)
    column_family = type_family(info.type)
    base = info.type.lower().split("(")[0].strip()
    same = target == base or TYPE_ALIASES.get(target) == TYPE_ALIASES.get(base, base)
    return same or (target_family == "text" and column_family == "text" and target in ("text", "varchar"))


TYPE_ALIASES = {
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "int2": "smallint",
    "smallint": "smallint",
    "bool": "boolean",
    "boolean": "boolean",
    "varchar": "character varying",
    "character varying": "character varying",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "float8": "double precision",
    "double precision": "double precision",
    "numeric": "numeric",
    "decimal": "numeric",
}


def predicate_comparisons(ctx: RuleContext):
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


def _consts(other) -> bool:
    return is_constant_expr(other)


@rule(
    id="function-on-indexed-column",
    title="Function or cast around an indexed column",
    severity="warning",
    explanation="""An index on a column stores the column's values; a condition on `f(col)` or `col::type`
    asks about a different value, so the index cannot be used (unless an expression index on exactly f(col)
    exists) and the table is scanned.""",
    fix="""Rewrite the condition on the bare column (move the function to the constant side, use a range), or
    create an expression index on the exact expression.""",
    example="SELECT id FROM orders WHERE coalesce(status, 'new') = 'paid'",
    better="SELECT id FROM orders WHERE status = 'paid'",
    needs_schema=True,
)
def function_on_indexed_column(ctx: RuleContext):
    out, seen = [], set()
    for expr, side, other in predicate_comparisons(ctx):
        col = wrapped_column(side)
        if col is None or not _consts(other) or id(expr) in seen:
            continue
        if func_name(side) in CASE_FUNCTIONS or date_wrapped_column(side) is not None:
            continue  # case-insensitive-without-expression-index / date-function-equality say it better
        resolved = ctx.resolve(col)
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or not indexes_led_by(table, resolved[1]) or has_expression_index(table, side):
            continue
        if isinstance(side, ast.TypeCast) and harmless_cast(table, resolved[1], side):
            continue
        seen.add(id(expr))
        index = indexes_led_by(table, resolved[1])[0].name or "an index"
        what = "a cast" if isinstance(side, ast.TypeCast) else f"{func_name(side) or 'coalesce'}()"
        out.append(ctx.finding(side, f"{what} around {resolved[0]}.{resolved[1]} stops {index} from being used."))
    return out


@rule(
    id="case-insensitive-without-expression-index",
    title="lower()/upper() comparison without an expression index",
    severity="warning",
    explanation="""`WHERE lower(email) = $1` can only use an index built on lower(email); an index on email
    itself does not help, so every row is read and lower-cased.""",
    fix="""Create the expression index (`CREATE INDEX ON customers (lower(email))`), or store the column
    normalized, or use the citext type.""",
    example="SELECT id FROM customers WHERE lower(name) = 'alice'",
    better="CREATE INDEX ON customers (lower(name)); -- then the same query uses it",
    needs_schema=True,
)
def case_insensitive_without_expression_index(ctx: RuleContext):
    out = []
    for _expr, side, other in predicate_comparisons(ctx):
        if func_name(side) not in CASE_FUNCTIONS or not _consts(other):
            continue
        col = wrapped_column(side)
        resolved = ctx.resolve(col) if col is not None else None
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or resolved[1] not in table.columns or has_expression_index(table, side):
            continue
        fix = (
            f"Create the expression index (`CREATE INDEX CONCURRENTLY ON {resolved[0]} ({sql_of(side)})`), or store "
            f"{resolved[1]} normalized, or use the citext type."
        )
        message = f"No index on {func_name(side)}({resolved[1]}) of {resolved[0]}: every row is read."
        out.append(ctx.finding(side, message, fix=fix))
    return out


def _literal_kind(node) -> tuple[str | None, object]:
    """('int'|'float'|'string'|'bool', value) for a literal, with an explicit cast's family if any."""
    cast = None
    while isinstance(node, ast.TypeCast):
        cast = cast or node.typeName.names[-1].sval.lower()
        node = node.arg
    if cast and isinstance(node, ast.ParamRef):
        return "cast:" + (CAST_FAMILIES.get(cast) or TYPE_FAMILIES.get(cast) or cast), None
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None, None
    if cast:
        return "cast:" + (CAST_FAMILIES.get(cast) or TYPE_FAMILIES.get(cast) or cast), const_value(node)
    val = node.val
    if isinstance(val, ast.Integer):
        return "int", val.ival
    if isinstance(val, ast.Float):
        return "float", val.fval
    if isinstance(val, ast.Boolean):
        return "bool", val.boolval
    if isinstance(val, ast.String):
        return "string", val.sval
    return None, None


def implicit_cast_problem(family: str, kind: str, value) -> tuple[str, str] | None:
    """(severity, message) when comparing a column of `family` with a literal of `kind` misbehaves."""
    if family == "int" and kind == "float":
        return "warning", f"{value} is numeric, so the integer column is cast to numeric for every row: no index."
    if family == "int" and kind in ("cast:numeric", "cast:float"):
        return "warning", "the literal is cast to a non-integer type, so the column is cast too: no index."
    if family == "int" and kind == "string":
        if not str(value).strip().lstrip("+-").isdigit():
            return "critical", f"{value!r} is not an integer: the query fails at run time."
        return "info", (
            f"quoted number {value!r} against an integer column: PostgreSQL converts it, but a driver that "
            "binds it as text makes the comparison fail or cast; pass a number."
        )
    if family in ("int", "numeric", "float") and kind == "cast:text":
        return "critical", "a number column compared with a text value: `operator does not exist` at run time."
    if family == "text" and kind in ("int", "float", "cast:int", "cast:numeric"):
        return "critical", "a text column compared with a number: `operator does not exist` at run time."
    if family in ("time", "bool", "uuid") and kind in ("int", "float"):
        return "critical", f"a {family} column compared with a number: the query fails at run time."
    if family == "text" and kind == "cast:text":
        return None
    return None


@rule(
    id="implicit-cast-column-type",
    title="Literal of the wrong type compared with a column",
    severity="warning",
    explanation="""Comparing a column with a literal of another type makes PostgreSQL convert one side. When
    it converts the column (an integer column against 10.5, or against '10'::numeric) the index is lost; when
    no conversion exists (a text column against a number, a boolean against 1) the query fails.""",
    fix="Write the literal in the column's type (`id = 42`, `code = '42'`), or cast the parameter, never the column.",
    example="SELECT id FROM orders WHERE customer_id = 42.0",
    better="SELECT id FROM orders WHERE customer_id = 42",
    needs_schema=True,
)
def implicit_cast_column_type(ctx: RuleContext):
    out = []
    for expr, side, other in predicate_comparisons(ctx):
        if not is_column(side) or expr.kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            continue
        resolved, info = ctx.column_info(side)
        family = type_family(info.type) if info else None
        if family is None:
            continue
        for value_node in other if isinstance(other, tuple) else (other,):
            kind, value = _literal_kind(value_node)
            problem = implicit_cast_problem(family, kind, value) if kind else None
            if problem:
                severity, message = problem
                fix = (
                    f"Write the literal as a {info.type} value (the type of {resolved[0]}.{resolved[1]}), or cast "
                    "the parameter, never the column."
                )
                out.append(
                    ctx.finding(
                        expr, f"{resolved[0]}.{resolved[1]} ({info.type}): {message}", severity=severity, fix=fix
                    )
                )
                break
    return out


def _equalities(ctx: RuleContext):
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


@rule(
    id="join-type-mismatch",
    title="Join between columns of different types",
    severity="warning",
    explanation="""Joining an integer column to a text or numeric column makes PostgreSQL cast one side for
    every row: the index on the cast side is not used, and hash/merge joins become costly. Between int and
    text there is no operator at all and the query fails.""",
    fix="Give both columns the same type (ALTER TABLE ... ALTER COLUMN ... TYPE ...), typically the referenced key's.",
    example="SELECT o.id FROM orders o JOIN legacy_payments p ON p.order_ref = o.id",
    better="ALTER TABLE legacy_payments ALTER COLUMN order_ref TYPE bigint USING order_ref::bigint",
    needs_schema=True,
)
def join_type_mismatch(ctx: RuleContext):
    out = []
    for expr in _equalities(ctx):
        left, left_info = ctx.column_info(expr.lexpr)
        right, right_info = ctx.column_info(expr.rexpr)
        if not (left_info and right_info):
            continue
        lf, rf = type_family(left_info.type), type_family(right_info.type)
        if lf is None or rf is None or lf == rf or {lf, rf} == {"json", "jsonb"}:
            continue
        severity = "critical" if "text" in (lf, rf) or "uuid" in (lf, rf) else "warning"
        out.append(
            ctx.finding(
                expr,
                f"{left[0]}.{left[1]} ({left_info.type}) = {right[0]}.{right[1]} ({right_info.type}): "
                "one side is cast for every row.",
                severity=severity,
            )
        )
    return out


@rule(
    id="not-in-nullable-subquery",
    title="NOT IN (subquery) over a nullable column",
    severity="critical",
    explanation="""`x NOT IN (SELECT col ...)` is never true once col yields a NULL: the query silently
    returns no rows. The schema says the column can be NULL. (A NULL x is also never returned, unlike with
    NOT EXISTS.)""",
    fix="""Use `NOT EXISTS (SELECT 1 FROM ... WHERE sub.col = x)`, which ignores NULLs, or add `WHERE col IS
    NOT NULL` inside the subquery if NOT IN semantics are wanted otherwise.""",
    example="SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM order_items)",
    better="SELECT p.id FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = p.id)",
    needs_schema=True,
)
def not_in_nullable_subquery(ctx: RuleContext):
    out = []
    for node, sub in not_in_sublinks(ctx):
        select = sub.subselect
        if not isinstance(select, ast.SelectStmt) or select.op != SetOperation.SETOP_NONE:
            continue
        if len(select.targetList or ()) != 1 or not is_column(select.targetList[0].val):
            continue
        target = select.targetList[0].val
        resolved, info = ctx.column_info(target)
        if info is None or info.nullable is not True or filtered_not_null(select.whereClause, target):
            continue
        out.append(
            ctx.finding(
                node,
                f"{resolved[0]}.{resolved[1]} is nullable: one NULL in the subquery makes NOT IN return no rows.",
                fix=f"Use {not_exists_text(ctx, sub)}, which ignores NULLs, or add `WHERE {sql_of(target)} IS NOT NULL` "
                "inside the subquery if NOT IN semantics are wanted otherwise.",
            )
        )
    return out


def filtered_not_null(where, colref) -> bool:
    """Does the WHERE clause say `col IS NOT NULL` (or compare col with a constant, which excludes NULL)?"""
    _, column = column_parts(colref)
    for term in conjuncts(where):
        if isinstance(term, ast.NullTest) and term.nulltesttype.name == "IS_NOT_NULL" and is_column(term.arg):
            if column_parts(term.arg)[1] == column:
                return True
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) in RANGE_OPS:
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and column_parts(a)[1] == column and is_const(b):
                    return True
    return False


def _single_table(ctx: RuleContext, select):
    items = list(select.fromClause or ())
    if len(items) != 1 or not isinstance(items[0], ast.RangeVar):
        return None, None
    name = items[0].relname.lower()
    return name, ctx.table(name)


def _equality_columns(ctx: RuleContext, where) -> set[str]:
    cols = set()
    for term in conjuncts(where):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and is_const(b):
                    cols.add(column_parts(a)[1])
    return cols


def index_serves_order(index: IndexInfo, equal: set[str], order: list[str]) -> bool:
    """B-tree index whose key is (some of the equality columns) followed by the ORDER BY columns."""
    if index.method not in ("btree", "", None) or index.expressions:
        return False
    cols = index.columns
    i = 0
    while i < len(cols) and cols[i] in equal and cols[i] not in order[:1]:
        i += 1
    # the leading ORDER BY column is enough: PostgreSQL 13+ finishes with an incremental sort per group
    return len(cols) > i and cols[i] == order[0]


@rule(
    id="order-by-limit-without-index",
    title="ORDER BY ... LIMIT with no index in that order",
    severity="warning",
    explanation="""`ORDER BY created_at DESC LIMIT 20` is cheap when a B-tree index delivers rows in that order:
    PostgreSQL reads 20 entries and stops (an index on the leading ORDER BY column is enough; an incremental
    sort finishes the rest). Without such an index it reads every matching row and sorts them (top-N
    heapsort) to return 20.""",
    fix="""Create an index on the equality-filtered columns followed by the ORDER BY columns, e.g.
    `CREATE INDEX CONCURRENTLY ON orders (customer_id, created_at DESC)`.""",
    example="SELECT id FROM orders ORDER BY total DESC LIMIT 10",
    better="CREATE INDEX CONCURRENTLY ON orders (total DESC); -- then the same query reads 10 index entries",
    needs_schema=True,
)
def order_by_limit_without_index(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if not select.sortClause or select.limitCount is None or select.op != SetOperation.SETOP_NONE:
            continue
        name, table = _single_table(ctx, select)
        if table is None or not table.columns:
            continue
        if table.row_estimate is not None and table.row_estimate < SMALL_TABLE_ROWS:
            continue
        order = []
        for sort in select.sortClause:
            if not is_column(sort.node) or column_parts(sort.node)[1] not in table.columns:
                order = []
                break
            order.append(column_parts(sort.node)[1])
        if not order or select.groupClause or select.distinctClause:
            continue
        equal = _equality_columns(ctx, select.whereClause)
        if any(index_serves_order(i, equal, order) for i in table.indexes):
            continue
        directions = " ".join(
            f"{c} DESC" if s.sortby_dir == SortByDir.SORTBY_DESC else c
            for c, s in zip(order, select.sortClause, strict=True)
        )
        keys = ", ".join([*(c for c in sorted(equal) if c not in order), directions])
        fix = (
            "Create an index on the equality-filtered columns followed by the ORDER BY columns: "
            f"`CREATE INDEX CONCURRENTLY ON {name} ({keys})`."
        )
        out.append(
            ctx.finding(
                select.sortClause[0],
                f"No index on {name} delivers rows ordered by {directions}: all matching rows are sorted.",
                fix=fix,
            )
        )
    return out


@rule(
    id="unindexed-foreign-key-join",
    title="Join on a foreign key that has no index",
    severity="warning",
    explanation="""PostgreSQL indexes primary keys but not foreign keys. Joining from the parent to the child
    on an unindexed foreign key (`JOIN order_items i ON i.order_id = o.id`) scans the child table, and every
    DELETE/UPDATE of a parent row scans it too to check the constraint.""",
    fix="Index the foreign key column(s): `CREATE INDEX CONCURRENTLY ON order_items (order_id)`.",
    example="SELECT o.id, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = 7",
    better="CREATE INDEX CONCURRENTLY ON order_items (order_id);",
    needs_schema=True,
)
def unindexed_foreign_key_join(ctx: RuleContext):
    out, reported = [], set()
    for expr in _equalities(ctx):
        left, right = ctx.resolve(expr.lexpr), ctx.resolve(expr.rexpr)
        if not (left and right):
            continue
        for child, parent in ((left, right), (right, left)):
            table = ctx.table(child[0])
            if table is None:
                continue
            for fk_cols, ref_table, ref_cols in table.foreign_keys:
                if fk_cols != [child[1]] or ref_table != parent[0] or ref_cols != [parent[1]]:
                    continue
                covered = any(i.columns[: len(fk_cols)] == fk_cols for i in table.indexes)
                if covered or (child, parent) in reported:
                    continue
                reported.add((child, parent))
                out.append(
                    ctx.finding(expr, f"Foreign key {child[0]}.{child[1]} -> {parent[0]}.{parent[1]} has no index.")
                )
    return out


def _pattern_capable(table: TableInfo, column: str, needs_trgm: bool) -> bool | None:
    """True/False, or None when an index on the column has operator classes we were not told."""
    unknown = False
    for index in table.indexes:
        if column not in index.columns:
            continue
        opclasses = {o.lower() for o in index.opclasses}
        if opclasses & TRGM_OPCLASSES:
            return True
        if index.method in ("gin", "gist") and not opclasses:
            return True  # a text column has no default GIN/GiST operator class: this is pg_trgm's
        if not needs_trgm and index.columns[0] == column and opclasses & PATTERN_OPCLASSES:
            return True
        if not needs_trgm and index.method in ("btree", "", None) and not index.opclasses_known:
            unknown = True  # could be text_pattern_ops: the key list does not say
    return None if unknown else False


@rule(
    id="like-without-pattern-index",
    title="LIKE / ILIKE on a column without a pattern-capable index",
    severity="warning",
    explanation="""With a non-C collation (the usual en_US.UTF-8 etc.) a plain B-tree index cannot serve LIKE
    'abc%'; it needs text_pattern_ops / varchar_pattern_ops (or the C collation). Patterns starting with a
    wildcard and ILIKE need a trigram index (pg_trgm, gin_trgm_ops). Without one, the table is scanned.""",
    fix="""Prefix patterns: `CREATE INDEX ON t (col text_pattern_ops)`. Infix patterns or ILIKE:
    `CREATE EXTENSION pg_trgm; CREATE INDEX ON t USING gin (col gin_trgm_ops)`.""",
    example="SELECT id FROM products WHERE name LIKE 'Widget%'",
    better="CREATE INDEX ON products (name text_pattern_ops); -- then the same query uses it",
    needs_schema=True,
)
def like_without_pattern_index(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind not in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE) or not ctx.in_predicate(expr):
            continue
        if op_name(expr) not in ("~~", "~~*") or not is_column(expr.lexpr):
            continue
        pattern = const_value(expr.rexpr)
        if not isinstance(pattern, str) or pattern in ("%", ""):
            continue  # a parameter: we cannot know what kind of pattern it will be
        resolved = ctx.resolve(expr.lexpr)
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or resolved[1] not in table.columns:
            continue
        if table.row_estimate is not None and table.row_estimate < SMALL_TABLE_ROWS:
            continue
        needs_trgm = expr.kind == A_Expr_Kind.AEXPR_ILIKE or pattern[:1] in ("%", "_")
        if _pattern_capable(table, resolved[1], needs_trgm) is not False:
            continue  # capable, or we cannot know: stay silent
        need = "a trigram (gin_trgm_ops) index" if needs_trgm else "a text_pattern_ops or trigram index"
        trigram = f"`CREATE INDEX CONCURRENTLY ON {resolved[0]} USING gin ({resolved[1]} gin_trgm_ops)`"
        if needs_trgm:
            fix = f"Create a trigram index (after `CREATE EXTENSION pg_trgm`): {trigram}."
        else:
            fix = (
                f"For prefix patterns: `CREATE INDEX CONCURRENTLY ON {resolved[0]} ({resolved[1]} text_pattern_ops)`; "
                f"for infix patterns or ILIKE a trigram index: {trigram}."
            )
        message = f"{resolved[0]}.{resolved[1]} has no {need}: the pattern scans the table."
        out.append(ctx.finding(expr, message, fix=fix))
    return out


@rule(
    id="unfiltered-big-table-scan",
    title="Reading a big table with no WHERE and no LIMIT",
    severity="warning",
    explanation=f"""A SELECT over a table of {BIG_TABLE_ROWS:,}+ rows (by the planner's estimate) with no
    WHERE, no LIMIT and no aggregation ships the whole table to the client: seconds of I/O and memory on both
    sides, usually by accident (a missing filter or pagination).""",
    fix="Filter (WHERE), paginate (keyset LIMIT), or aggregate in the database.",
    example="SELECT id, payload FROM events",
    better="SELECT id, payload FROM events WHERE created_at >= now() - interval '1 hour'",
    needs_schema=True,
)
def unfiltered_big_table_scan(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.whereClause is not None or select.limitCount is not None or select.groupClause:
            continue
        if ctx.parent_of(select) is not None or select.op != SetOperation.SETOP_NONE:
            continue  # only a statement's own result: INSERT ... SELECT, CTEs and subqueries are consumed in SQL
        if any(is_aggregate_call(n) for t in select.targetList or () for n in walk(t.val, stop=(ast.SubLink,))):
            continue
        name, table = _single_table(ctx, select)
        if table is None or table.row_estimate is None or table.row_estimate < BIG_TABLE_ROWS:
            continue
        out.append(
            ctx.finding(
                select.fromClause[0], f"Reads all ~{table.row_estimate:,} rows of {name} with no filter or limit."
            )
        )
    return out


@rule(
    id="filter-without-index",
    title="Equality filter on a big table with no index to serve it",
    severity="warning",
    explanation=f"""`WHERE col = value` on a table of {BIG_TABLE_ROWS:,}+ rows, where no condition of the
    query is on the leading column of an index, makes PostgreSQL read the whole table (a sequential scan)
    to find the matching rows.""",
    fix="""Index the filtered column (or columns, equality first): `CREATE INDEX CONCURRENTLY ON orders (note)`;
    a partial index if the value is always the same (`WHERE status = 'pending'`).""",
    example="SELECT id FROM orders WHERE note = 'gift wrap'",
    better="CREATE INDEX CONCURRENTLY ON orders (note); -- then the same query reads only the matches",
    needs_schema=True,
)
def filter_without_index(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        name, table = _single_table(ctx, select)
        if table is None or table.row_estimate is None or table.row_estimate < BIG_TABLE_ROWS:
            continue
        terms = conjuncts(select.whereClause)
        equal = [c for c in _equality_columns(ctx, select.whereClause) if c in table.columns]
        if not equal:
            continue
        referenced = {column_parts(c)[1] for t in terms for c in columns_in(t)}
        led = {i.columns[0] for i in table.indexes if i.columns and i.method in ("btree", "hash", "", None)}
        led |= {c for i in table.indexes if i.method in ("gin", "gist", "brin") for c in i.columns}
        if referenced & led or any(i.expressions for i in table.indexes if not i.columns):
            continue  # some condition can use an index (or an expression index might)
        cols = ", ".join(sorted(equal))
        out.append(
            ctx.finding(
                select.whereClause,
                f"No index on {name} serves this filter on {cols}: the table is scanned.",
                fix=_filter_index_fix(name, terms, equal),
            )
        )
    return out


def _filter_index_fix(name: str, terms, equal: list[str]) -> str:
    """The index for this query's filter, and the partial form when it compares a column with a constant."""
    constants = []
    for term in terms:
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for col, other in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(col) and column_parts(col)[1] in equal and _consts(other):
                    constants.append((column_parts(col)[1], sql_of(other)))
                    break
    # Most distinct values first is unknowable here; keep the query's columns in a stable order.
    cols = ", ".join(sorted(equal))
    fix = f"Index the filtered column{'s' if len(equal) > 1 else ''}: `CREATE INDEX CONCURRENTLY ON {name} ({cols})`"
    if constants:
        column, value = constants[0]
        rest = [c for c in sorted(equal) if c != column]
        # Keyed on the constant's own column when nothing else is filtered: every entry holds the same value,
        # which B-tree deduplication packs into a few pages (the index advisor measures the same candidate).
        key = ", ".join(rest) or column
        fix += (
            f"; if the query always asks for {column} = {value} and few rows have it, a partial index is smaller "
            f"and as fast: `CREATE INDEX CONCURRENTLY ON {name} ({key}) WHERE {column} = {value}`"
        )
    return fix + "."


@rule(
    id="subquery-selects-outer-column",
    title="IN (subquery) selecting a column of the outer query",
    severity="critical",
    explanation="""In `WHERE customer_id IN (SELECT customer_id FROM events_archive)`, if events_archive has no
    customer_id column, PostgreSQL does not fail: the name resolves to the OUTER query's column, so the
    subquery returns the outer value once per archive row. `x IN (SELECT x ...)` is then true for every row
    (and NOT IN false) as soon as the table has rows: a silent logic bug, and a slow one.""",
    fix="Select the column the inner table really has, and qualify columns in subqueries (`SELECT a.cust_id FROM archive a`).",
    example="SELECT id FROM orders WHERE note IN (SELECT note FROM customers)",
    better="SELECT o.id FROM orders o WHERE o.note IN (SELECT c.name FROM customers c)",
    needs_schema=True,
)
def subquery_selects_outer_column(ctx: RuleContext):
    out = []
    for sub in ctx.of(ast.SubLink):
        if sub.subLinkType not in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
            continue
        select = sub.subselect
        if not isinstance(select, ast.SelectStmt) or len(select.targetList or ()) != 1:
            continue
        target = select.targetList[0].val
        if not is_column(target) or column_parts(target)[0] is not None:
            continue
        items = ctx.scope(select).items
        tables = [ctx.table(i.relname) if isinstance(i, ast.RangeVar) else None for i in items]
        if not items or any(t is None or not t.columns for t in tables):
            continue  # a derived table or an unknown table might have the column
        column = column_parts(target)[1]
        if any(column in t.columns for t in tables):
            continue
        resolved = ctx.resolve(target)
        if resolved is None:
            continue
        first = items[0]
        alias = first.alias.aliasname if first.alias else first.relname
        out.append(
            ctx.finding(
                target,
                f"{column} is not a column of {', '.join(i.relname for i in items)}: it is the outer "
                f"{resolved[0]}.{column}, so the subquery just repeats the outer value.",
                fix=f"Select a column {first.relname} really has, and qualify the subquery's columns "
                f"(`SELECT {alias}.<its column> FROM {sql_of(first)}`).",
            )
        )
    return out
