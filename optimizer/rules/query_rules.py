"""Rules that need only the query text: sqlcheck's anti-patterns and PostgreSQL planner traps."""

from __future__ import annotations

from pglast import ast
from pglast.enums import (
    A_Expr_Kind,
    BoolExprType,
    CTEMaterialize,
    LockWaitPolicy,
    SetOperation,
    SubLinkType,
)

from optimizer.rules.context import (
    RANGE_OPS,
    RuleContext,
    column_parts,
    columns_in,
    conjuncts,
    const_value,
    func_name,
    is_aggregate_call,
    is_column,
    is_const,
    is_constant_expr,
    is_null_const,
    not_exists_text,
    op_name,
    sql_of,
    walk,
)
from optimizer.rules.registry import rule

DEEP_OFFSET = 1000
HUGE_IN_LIST = 100
MAX_SUBQUERY_DEPTH = 3
JOIN_COLLAPSE_LIMIT = 8
DATE_FUNCTIONS = {"date_trunc", "date", "extract", "date_part"}
VOLATILE = {"random", "nextval", "clock_timestamp", "gen_random_uuid", "setseed", "uuid_generate_v4"}


# --- shared helpers --------------------------------------------------------------------------------------


def comparisons(ctx: RuleContext, ops=RANGE_OPS):
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_OP and op_name(expr) in ops and not isinstance(expr.rexpr, tuple):
            yield expr


def column_key(ctx: RuleContext, colref) -> str:
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


def has_trigram_index(ctx: RuleContext, node) -> bool:
    """When schema facts are given: is there a pg_trgm (GIN/GiST) index on this column?"""
    if not is_column(node):
        return False
    resolved = ctx.resolve(node)
    table = ctx.table(resolved[0]) if resolved else None
    if table is None:
        return False
    for index in table.indexes:
        if resolved[1] in index.columns and index.method in ("gin", "gist"):
            if not index.opclasses or {o.lower() for o in index.opclasses} & {"gin_trgm_ops", "gist_trgm_ops"}:
                return True
    return False


def not_in_sublinks(ctx: RuleContext):
    """`x NOT IN (SELECT ...)` and its twin `x <> ALL (SELECT ...)`."""
    for sub in ctx.of(ast.SubLink):
        if sub.subLinkType == SubLinkType.ANY_SUBLINK and not sub.operName:
            parent = ctx.parent_of(sub)
            if isinstance(parent, ast.BoolExpr) and parent.boolop == BoolExprType.NOT_EXPR:
                yield parent, sub
        elif sub.subLinkType == SubLinkType.ALL_SUBLINK and sub.operName and sub.operName[-1].sval in ("<>", "!="):
            yield sub, sub


# --- the rules -------------------------------------------------------------------------------------------


@rule(
    id="select-star",
    title="SELECT * in a query",
    severity="info",
    explanation="""SELECT * reads every column: more I/O and network, no index-only scans, and the result
    changes shape when someone adds a column. Inside EXISTS it is harmless and is not flagged.""",
    fix="List the columns the caller uses.",
    example="SELECT * FROM orders WHERE customer_id = 42",
    better="SELECT id, status, total FROM orders WHERE customer_id = 42",
)
def select_star(ctx: RuleContext):
    out = []
    for target in ctx.of(ast.ResTarget):
        val = target.val
        if not (isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star)):
            continue
        select = ctx.parent_of(target)
        if not isinstance(select, ast.SelectStmt) or target not in (select.targetList or ()):
            continue
        sub = ctx.sublink_of(select)
        if sub is not None and sub.subLinkType == SubLinkType.EXISTS_SUBLINK:
            continue
        items = [i for i in _flat_from_items(select.fromClause or ()) if isinstance(i, ast.RangeVar)]
        fix = None
        if len(items) == 1 and len(select.fromClause or ()) == 1:
            name = items[0].relname
            table = ctx.table(name)
            if table is not None and table.columns:
                fix = f"List the columns the caller uses from {name} ({', '.join(table.columns)}), not *."
            else:
                fix = f"List the columns the caller uses from {name}, not *."
        out.append(ctx.finding(val, "SELECT * fetches every column of the table.", fix=fix))
    return out


@rule(
    id="null-comparison",
    title="Comparison with NULL using = or <>",
    severity="critical",
    explanation="""`x = NULL` and `x <> NULL` are never true: any comparison with NULL yields NULL, so the
    row is filtered out whatever x holds. This is a bug, not a style issue.""",
    fix="Use `x IS NULL` / `x IS NOT NULL` (or `IS [NOT] DISTINCT FROM` to compare two nullable values).",
    example="SELECT id FROM customers WHERE phone = NULL",
    better="SELECT id FROM customers WHERE phone IS NULL",
)
def null_comparison(ctx: RuleContext):
    out = []
    for expr in comparisons(ctx, {"=", "<>", "!="}):
        if is_null_const(expr.lexpr) or is_null_const(expr.rexpr):
            better = "IS NULL" if op_name(expr) == "=" else "IS NOT NULL"
            side = expr.rexpr if is_null_const(expr.lexpr) else expr.lexpr
            fix = f"Write `{sql_of(side)} {better}` (or `IS [NOT] DISTINCT FROM` to compare two nullable values)."
            out.append(ctx.finding(expr, f"`{op_name(expr)} NULL` is never true; use {better}.", fix=fix))
    return out


@rule(
    id="or-chain-same-column",
    title="OR chain on one column",
    severity="info",
    explanation="""`status = 'a' OR status = 'b' OR ...` is harder to read than IN and, mixed with other
    conditions, easy to get wrong without parentheses. PostgreSQL plans `IN (...)` as a single
    `= ANY(array)` index condition.""",
    fix="Write `col IN ('a', 'b', ...)`.",
    example="SELECT id FROM orders WHERE status = 'new' OR status = 'paid' OR status = 'shipped'",
    better="SELECT id FROM orders WHERE status IN ('new', 'paid', 'shipped')",
)
def or_chain_same_column(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.BoolExpr):
        if expr.boolop != BoolExprType.OR_EXPR:
            continue
        seen: dict[str, int] = {}
        for arg in expr.args:
            if isinstance(arg, ast.A_Expr) and arg.kind == A_Expr_Kind.AEXPR_OP and op_name(arg) == "=":
                col = simple_predicate_column(arg)
                if col is not None:
                    key = column_key(ctx, col)
                    seen[key] = seen.get(key, 0) + 1
        repeated = [k for k, n in seen.items() if n >= 2]
        if repeated:
            name = repeated[0].lstrip(".")
            values = [
                sql_of(other)
                for arg in expr.args
                if isinstance(arg, ast.A_Expr) and arg.kind == A_Expr_Kind.AEXPR_OP and op_name(arg) == "="
                for col, other in ((arg.lexpr, arg.rexpr), (arg.rexpr, arg.lexpr))
                if is_column(col) and column_key(ctx, col) == repeated[0] and not columns_in(other)
            ]
            fix = f"Write `{name.split('.')[-1]} IN ({', '.join(dict.fromkeys(values)) or '...'})`."
            out.append(ctx.finding(expr, f"{seen[repeated[0]]} OR'ed equality tests on {name}; use IN (...).", fix=fix))
    return out


@rule(
    id="leading-wildcard-like",
    title="LIKE pattern starting with a wildcard",
    severity="warning",
    explanation="""A pattern that starts with % or _ cannot use a B-tree index: PostgreSQL has to read every
    row and test it. Only a trigram (pg_trgm) GIN/GiST index serves `LIKE '%x%'`.""",
    fix="""Anchor the pattern at the start if you can; otherwise create a trigram index
    (`CREATE INDEX ... USING gin (col gin_trgm_ops)`) or use full-text search.""",
    example="SELECT id FROM customers WHERE email LIKE '%@example.com'",
    better="SELECT id FROM customers WHERE email LIKE 'alice%'",
)
def leading_wildcard_like(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind not in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            continue
        pattern = const_value(expr.rexpr)
        if isinstance(pattern, str) and pattern[:1] in ("%", "_"):
            if has_trigram_index(ctx, expr.lexpr):
                continue  # the schema shows a pg_trgm index: the pattern is served
            resolved = ctx.resolve(expr.lexpr) if is_column(expr.lexpr) else None
            index = (
                f"`CREATE INDEX CONCURRENTLY ON {resolved[0]} USING gin ({resolved[1]} gin_trgm_ops)`"
                if resolved
                else f"a GIN index on {sql_of(expr.lexpr)} with gin_trgm_ops"
            )
            fix = f"Anchor the pattern at the start if you can; otherwise create a trigram index ({index}, after "
            fix += "`CREATE EXTENSION pg_trgm`) or use full-text search."
            message = f"Pattern {pattern!r} starts with a wildcard: no B-tree index can serve it."
            out.append(ctx.finding(expr, message, fix=fix))
    return out


@rule(
    id="order-by-random",
    title="ORDER BY random()",
    severity="warning",
    explanation="""ORDER BY random() computes a random number for every row and sorts the whole table to pick
    a few rows: the cost grows with the table, not with the LIMIT.""",
    fix="""Use `TABLESAMPLE SYSTEM (p)` / `BERNOULLI`, or pick random ids in a known range and fetch those
    by primary key.""",
    example="SELECT id FROM products ORDER BY random() LIMIT 5",
    better="SELECT id FROM products TABLESAMPLE SYSTEM (1) LIMIT 5",
)
def order_by_random(ctx: RuleContext):
    out = []
    for s in ctx.of(ast.SortBy):
        if func_name(s.node) not in ("random", "rand"):
            continue
        select = ctx.parent_of(s)
        items = [i for i in (getattr(select, "fromClause", None) or ()) if isinstance(i, ast.RangeVar)]
        fix = None
        if len(items) == 1:
            fix = (
                f"Sample instead of sorting: `FROM {items[0].relname} TABLESAMPLE SYSTEM (1)` (or BERNOULLI), or "
                f"pick random ids in {items[0].relname}'s key range and fetch those by primary key."
            )
        out.append(ctx.finding(s, "ORDER BY random() sorts every row to return a few.", fix=fix))
    return out


@rule(
    id="distinct-with-join",
    title="DISTINCT over a join",
    severity="warning",
    explanation="""SELECT DISTINCT on top of joins often hides a join that multiplies rows (a missing join
    condition or a one-to-many join used to filter). PostgreSQL produces all the duplicates and then sorts
    or hashes them away.""",
    fix="""Check the join conditions; to filter by a related table use EXISTS (a semi-join that never
    duplicates rows) instead of JOIN + DISTINCT.""",
    example="SELECT DISTINCT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id",
    better="SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
)
def distinct_with_join(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.distinctClause and relation_count(select) >= 2:
            out.append(
                ctx.finding(select.targetList[0] if select.targetList else None, "DISTINCT over a join of tables.")
            )
    return out


@rule(
    id="insert-without-columns",
    title="INSERT without a column list",
    severity="warning",
    explanation="""INSERT INTO t VALUES (...) depends on the table's column order: adding, dropping or
    reordering a column silently puts values into the wrong columns or breaks the statement.""",
    fix="Name the columns: `INSERT INTO t (a, b) VALUES (...)`.",
    example="INSERT INTO customers VALUES (1, 'a@example.com', 'Alice')",
    better="INSERT INTO customers (id, email, name) VALUES (1, 'a@example.com', 'Alice')",
)
def insert_without_columns(ctx: RuleContext):
    out = []
    for stmt in ctx.of(ast.InsertStmt):
        if stmt.cols or stmt.selectStmt is None:
            continue
        name = stmt.relation.relname
        table = ctx.table(name)
        columns = ", ".join(table.columns) if table is not None and table.columns else "the columns, in order"
        fix = f"Name the columns: `INSERT INTO {name} ({columns}) ...`."
        out.append(ctx.finding(stmt.relation, f"INSERT INTO {name} without a column list.", fix=fix))
    return out


@rule(
    id="having-without-aggregate",
    title="HAVING without an aggregate",
    severity="warning",
    explanation="""A HAVING condition that uses no aggregate filters groups by grouping columns only: it
    belongs in WHERE, where it removes rows before they are grouped (and can use an index).""",
    fix="Move the condition from HAVING to WHERE.",
    example="SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING customer_id > 100",
    better="SELECT customer_id, count(*) FROM orders WHERE customer_id > 100 GROUP BY customer_id",
)
def having_without_aggregate(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        having = select.havingClause
        if having is None:
            continue
        if not any(is_aggregate_call(n) for n in walk(having, stop=(ast.SubLink,))):
            out.append(ctx.finding(having, "HAVING condition uses no aggregate; filter in WHERE instead."))
    return out


@rule(
    id="deep-subquery-nesting",
    title="Deeply nested subqueries",
    severity="info",
    explanation=f"""Subqueries nested {MAX_SUBQUERY_DEPTH} or more levels deep are hard to read and often
    stop the planner from flattening them into joins.""",
    fix="Flatten into joins, or name the steps with CTEs (WITH ...).",
    example="SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region_id IN "
    "(SELECT id FROM regions WHERE country_id IN (SELECT id FROM countries WHERE eu)))",
    better="SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id JOIN regions r ON r.id = c.region_id "
    "JOIN countries k ON k.id = r.country_id WHERE k.eu",
)
def deep_subquery_nesting(ctx: RuleContext):
    deepest, depth_max = None, 0
    for select in ctx.of(ast.SelectStmt):
        depth = sum(1 for a in ctx.ancestors(select) if isinstance(a, (ast.SubLink, ast.RangeSubselect)))
        if depth > depth_max:
            deepest, depth_max = select, depth
    if depth_max >= MAX_SUBQUERY_DEPTH:
        node = ctx.parent_of(deepest)
        return [ctx.finding(node, f"Subqueries nested {depth_max} levels deep.")]
    return []


def _branch_constants(select) -> list:
    if select.op != SetOperation.SETOP_NONE:
        return []
    return [const_value(t.val) if isinstance(t.val, ast.A_Const) else None for t in select.targetList or ()]


@rule(
    id="union-without-all",
    title="UNION where UNION ALL would do",
    severity="info",
    explanation="""UNION removes duplicates, which costs a sort or hash of the whole result. When the
    branches cannot overlap (different tables, a constant tag column, disjoint filters) or duplicates do not
    matter, UNION ALL returns the same rows without that step.""",
    fix="Use UNION ALL unless you need duplicate rows removed.",
    example="SELECT id, 'order' AS kind FROM orders UNION SELECT id, 'event' FROM events",
    better="SELECT id, 'order' AS kind FROM orders UNION ALL SELECT id, 'event' FROM events",
)
def union_without_all(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.op != SetOperation.SETOP_UNION or select.all:
            continue
        left, right = _branch_constants(select.larg), _branch_constants(select.rarg)
        tagged = any(a is not None and b is not None and a != b for a, b in zip(left, right, strict=False))
        if tagged:
            msg = "UNION of branches tagged with different constants: they cannot overlap, so UNION ALL is equivalent."
            out.append(ctx.finding(select.rarg, msg, severity="warning"))
        else:
            out.append(ctx.finding(select.rarg, "UNION removes duplicates with a sort or hash; use UNION ALL if none."))
    return out


def _lateral(item) -> bool:
    return bool(getattr(item, "lateral", False))


def _has_column_equality(quals) -> bool:
    for term in conjuncts(quals):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            if columns_in(term.lexpr) and columns_in(term.rexpr):
                return True
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
            return True
    return False


@rule(
    id="non-equi-join",
    title="Join without an equality condition",
    severity="warning",
    explanation="""A join whose ON clause has no equality between the two sides (only <, >, <>, BETWEEN,
    LIKE...) cannot be a hash or merge join: PostgreSQL falls back to a nested loop comparing every pair of
    rows.""",
    fix="""Add the equality the relationship really has; for range joins consider a range type with a GiST
    index (`&&`, `@>`) or a LATERAL subquery with ORDER BY ... LIMIT.""",
    example="SELECT o.id, p.name FROM orders o JOIN promotions p ON o.created_at BETWEEN p.starts_at AND p.ends_at",
    better="SELECT o.id, p.name FROM orders o JOIN promotions p ON p.period @> o.created_at",
)
def non_equi_join(ctx: RuleContext):
    out = []
    for join in ctx.of(ast.JoinExpr):
        if join.quals is None or join.usingClause or join.isNatural:
            continue
        if isinstance(join.quals, ast.A_Const):
            continue  # ON true: a cross/lateral join, handled by cartesian-product
        if not _has_column_equality(join.quals):
            out.append(ctx.finding(join.quals, "Join condition has no equality: only a nested loop can run it."))
    return out


def _aliases_of(ctx: RuleContext, node, select) -> set[str]:
    """Which FROM items of `select` an expression references (by alias); '?' when it cannot be known."""
    refs = set()
    scope = ctx.scope(select)
    for col in columns_in(node, stop_at_sublinks=False):
        qualifier, _ = column_parts(col)
        if qualifier is not None:
            if qualifier in scope.aliases:
                refs.add(qualifier)
            continue
        resolved = ctx.resolve(col)
        owners = [a for a, t in scope.aliases.items() if resolved and t == resolved[0]]
        if len(owners) == 1:
            refs.add(owners[0])
        elif ctx.binding_statement(col) is None and not resolved:
            refs.add("?")
    return refs


def _item_alias(item) -> str | None:
    if isinstance(item, ast.RangeVar):
        return (item.alias.aliasname if item.alias else item.relname).lower()
    if getattr(item, "alias", None) is not None:
        return item.alias.aliasname.lower()
    return None


@rule(
    id="cartesian-product",
    title="Cartesian product (tables joined without a condition)",
    severity="critical",
    explanation="""FROM a, b (or CROSS JOIN, or JOIN ... ON true) with no condition linking the two returns
    every combination of rows: |a| x |b| rows, usually by mistake (a forgotten join condition).""",
    fix="Add the join condition (`JOIN b ON b.a_id = a.id`); write CROSS JOIN explicitly if it is intended.",
    example="SELECT o.id, c.name FROM orders o, customers c WHERE o.status = 'paid'",
    better="SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid'",
)
def cartesian_product(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        items = list(select.fromClause or ())
        if not items:
            continue
        found = _unlinked_groups(ctx, select, items)
        if found is None or found[0] < 2:
            continue
        groups, explicit_cross = found
        where = explicit_cross or (items[1] if len(items) > 1 else items[0])
        names = [n for n in (_item_alias(i) for i in _flat_from_items(items)) if n]
        fix = (
            f"Add the condition that links {', '.join(names)} (an equality on the key that relates them, "
            "`JOIN ... ON ... = ...`); write CROSS JOIN explicitly if the product is intended."
        )
        out.append(
            ctx.finding(
                where,
                f"{groups} groups of tables are not linked by any condition: every row "
                "of one is combined with every row of the other.",
                fix=fix,
            )
        )
    return out


def _flat_from_items(items) -> list:
    """FROM items with joins opened up, in order."""
    out = []
    for item in items:
        if isinstance(item, ast.JoinExpr):
            out += _flat_from_items([item.larg, item.rarg])
        else:
            out.append(item)
    return out


class _Groups:
    """Union-find over FROM item aliases: conditions merge the items they mention."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def add(self, name: str) -> None:
        self.parent.setdefault(name, name)

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, names) -> None:
        names = [n for n in names if n in self.parent]
        for other in names[1:]:
            self.parent[self.find(other)] = self.find(names[0])

    def count(self) -> int:
        return len({self.find(a) for a in self.parent})


def _unlinked_groups(ctx: RuleContext, select, items):
    """(number of groups of FROM items no condition links, an explicit CROSS JOIN node) or None if unknowable."""
    groups = _Groups()
    conditions = list(conjuncts(select.whereClause))
    explicit_cross = None
    using_joins = []
    for item in items:
        for node in walk(item, stop=(ast.RangeSubselect, ast.RangeFunction, ast.SubLink)):
            if isinstance(node, (ast.RangeVar, ast.RangeSubselect, ast.RangeFunction)):
                alias = _item_alias(node)
                if alias is None or _lateral(node) or isinstance(node, ast.RangeFunction):
                    return None  # functions and lateral subqueries are driven by their neighbours
                groups.add(alias)
            if isinstance(node, ast.JoinExpr):
                if node.usingClause or node.isNatural:
                    using_joins.append(node)
                elif node.quals is None or isinstance(node.quals, ast.A_Const):
                    explicit_cross = explicit_cross or node
                else:
                    conditions.extend(conjuncts(node.quals))
    for join in using_joins:
        left = [_item_alias(x) for x in walk(join.larg) if isinstance(x, ast.RangeVar)]
        right = [_item_alias(x) for x in walk(join.rarg) if isinstance(x, ast.RangeVar)]
        groups.union([a for a in left + right if a])
    if len(groups.parent) < 2:
        return None
    for term in conditions:
        refs = _aliases_of(ctx, term, select)
        if "?" in refs:
            return None
        groups.union(sorted(refs))
    return groups.count(), explicit_cross


@rule(
    id="update-without-where",
    title="UPDATE without WHERE",
    severity="critical",
    explanation="""An UPDATE without a WHERE clause rewrites every row of the table: a full-table write that
    bloats it, locks every row and is rarely what was meant.""",
    fix="Add the WHERE clause; if every row really must change, batch it (by primary key ranges).",
    example="UPDATE orders SET status = 'archived'",
    better="UPDATE orders SET status = 'archived' WHERE created_at < now() - interval '1 year'",
)
def update_without_where(ctx: RuleContext):
    return [
        ctx.finding(s.relation, f"UPDATE {s.relation.relname} changes every row.")
        for s in ctx.of(ast.UpdateStmt)
        if s.whereClause is None
    ]


@rule(
    id="delete-without-where",
    title="DELETE without WHERE",
    severity="critical",
    explanation="""A DELETE without a WHERE clause removes every row, one by one, writing WAL for each and
    leaving the table bloated. If that is the intent, TRUNCATE is instant.""",
    fix="Add the WHERE clause, or use TRUNCATE to empty a table.",
    example="DELETE FROM events",
    better="DELETE FROM events WHERE created_at < now() - interval '90 days'",
)
def delete_without_where(ctx: RuleContext):
    return [
        ctx.finding(s.relation, f"DELETE FROM {s.relation.relname} removes every row.")
        for s in ctx.of(ast.DeleteStmt)
        if s.whereClause is None
    ]


@rule(
    id="not-in-subquery",
    title="NOT IN (subquery)",
    severity="warning",
    explanation="""PostgreSQL cannot turn `x NOT IN (SELECT ...)` into an anti-join: it runs a hashed subplan
    (or, when the subquery does not fit in work_mem, re-scans it for every row). And if the subquery returns a
    single NULL, NOT IN is never true and the query returns no rows.""",
    fix="""Write `NOT EXISTS (SELECT 1 FROM ... WHERE sub.col = x)`: an anti-join. It is equivalent when neither
    side can be NULL (check the columns, or add `WHERE col IS NOT NULL` to the subquery).""",
    example="SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
    better="SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
)
def not_in_subquery(ctx: RuleContext):
    return [
        ctx.finding(
            node,
            "NOT IN (subquery) cannot become an anti-join and is empty if the subquery yields NULL.",
            fix=f"Write {not_exists_text(ctx, sub)}: an anti-join. It is equivalent when neither side can be NULL.",
        )
        for node, sub in not_in_sublinks(ctx)
    ]


@rule(
    id="not-in-list-with-null",
    title="NOT IN list containing NULL",
    severity="critical",
    explanation="""`x NOT IN (1, 2, NULL)` is never true: it means x <> 1 AND x <> 2 AND x <> NULL, and the
    last term is NULL. The query silently returns nothing.""",
    fix="Remove NULL from the list (and add `OR x IS NULL` if NULL rows should be kept).",
    example="SELECT id FROM orders WHERE status NOT IN ('cancelled', NULL)",
    better="SELECT id FROM orders WHERE status NOT IN ('cancelled')",
)
def not_in_list_with_null(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_IN and op_name(expr) == "<>" and isinstance(expr.rexpr, tuple):
            if any(is_null_const(v) for v in expr.rexpr):
                column = sql_of(expr.lexpr)
                fix = f"Remove NULL from the list (and add `OR {column} IS NULL` if NULL rows should be kept)."
                out.append(ctx.finding(expr, "NOT IN list contains NULL: the condition is never true.", fix=fix))
    return out


@rule(
    id="deep-offset",
    title="Deep OFFSET pagination",
    severity="warning",
    explanation=f"""OFFSET n makes PostgreSQL produce and throw away n rows before returning the page: page
    1000 costs a thousand pages. Flagged from OFFSET {DEEP_OFFSET}.""",
    fix="""Use keyset pagination: remember the last row's sort key and ask for `WHERE (k1, k2) > ($1, $2)
    ORDER BY k1, k2 LIMIT n`, served by an index on (k1, k2).""",
    example="SELECT id, total FROM orders ORDER BY created_at, id LIMIT 50 OFFSET 50000",
    better="SELECT id, total FROM orders WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT 50",
)
def deep_offset(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        value = const_value(select.limitOffset) if select.limitOffset is not None else None
        if isinstance(value, int) and value >= DEEP_OFFSET:
            where = ctx.token_span("OFFSET", str(value))
            keys = [sql_of(s.node) for s in select.sortClause or ()]
            limit = sql_of(select.limitCount) if select.limitCount is not None else "the page size"
            if keys:
                params = ", ".join(f"${i}" for i in range(1, len(keys) + 1))
                row = f"({', '.join(keys)})" if len(keys) > 1 else keys[0]
                fix = (
                    f"Use keyset pagination: remember the last row's {', '.join(keys)} and ask for `WHERE {row} > "
                    f"({params}) ORDER BY {', '.join(keys)} LIMIT {limit}`, served by an index on ({', '.join(keys)})."
                )
            else:
                fix = "Order by a unique key, then use keyset pagination: `WHERE key > $1 ORDER BY key LIMIT ...`."
            message = f"OFFSET {value} reads and discards {value} rows."
            out.append(ctx.finding(None, message, location=where, fix=fix))
    return out


EXISTS_TESTS = {(">", 0), (">=", 1), ("<>", 0), ("!=", 0)}
NOT_EXISTS_TESTS = {("=", 0), ("<", 1), ("<=", 0)}
FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "=": "=", "<>": "<>", "!=": "!="}


def count_existence_test(expr):
    """For `<count> op 0|1`: (count node, True for an existence test / False for non-existence), else None."""
    if not (isinstance(expr, ast.A_Expr) and expr.kind == A_Expr_Kind.AEXPR_OP):
        return None
    op = op_name(expr)
    left, right = expr.lexpr, expr.rexpr
    if isinstance(left, ast.A_Const) and not isinstance(right, ast.A_Const):
        left, right, op = right, left, FLIPPED.get(op, op)
    value = const_value(right)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if (op, value) in EXISTS_TESTS:
        kind = True
    elif (op, value) in NOT_EXISTS_TESTS:
        kind = False
    else:
        return None
    if _is_count_subquery(left) or (func_name(left) == "count" and left.over is None):
        return left, kind
    return None


def _is_count_subquery(node) -> bool:
    if not (isinstance(node, ast.SubLink) and node.subLinkType == SubLinkType.EXPR_SUBLINK):
        return False
    sub = node.subselect
    return (
        isinstance(sub, ast.SelectStmt)
        and sub.op == SetOperation.SETOP_NONE
        and not sub.groupClause
        and sub.havingClause is None
        and len(sub.targetList or ()) == 1
        and func_name(sub.targetList[0].val) == "count"
        and sub.targetList[0].val.over is None
        and sub.limitCount is None
        and sub.limitOffset is None
    )


@rule(
    id="count-for-existence",
    title="count(*) used to test existence",
    severity="warning",
    explanation="""`(SELECT count(*) ...) > 0` counts every matching row only to compare the total with zero.
    EXISTS stops at the first match and lets the planner use a semi-join.""",
    fix="Write `EXISTS (SELECT 1 FROM ... WHERE ...)` (or `NOT EXISTS` for `= 0`).",
    example="SELECT id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) > 0",
    better="SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
)
def count_for_existence(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        found = count_existence_test(expr)
        if found is None:
            continue
        counted, exists = found
        if isinstance(counted, ast.FuncCall):
            select = ctx.enclosing_statement(expr)
            targets = select.targetList or () if isinstance(select, ast.SelectStmt) else ()
            if len(targets) != 1 or targets[0].val is not expr or select.groupClause:
                continue  # in HAVING, per group, or beside other aggregates it is not an existence test
        word = "EXISTS" if exists else "NOT EXISTS"
        out.append(ctx.finding(expr, f"count compared with zero: {word} stops at the first row."))
    return out


def _is_scalar_correlated(ctx: RuleContext, sub) -> bool:
    return (
        isinstance(sub, ast.SubLink)
        and sub.subLinkType == SubLinkType.EXPR_SUBLINK
        and isinstance(sub.subselect, ast.SelectStmt)
        and ctx.is_correlated(sub.subselect)
    )


@rule(
    id="correlated-scalar-subquery",
    title="Correlated subquery in the SELECT list",
    severity="warning",
    explanation="""A scalar subquery in the SELECT list that refers to the outer row runs once per output
    row (a SubPlan). With many rows that is many index probes, or many scans when no index fits.""",
    fix="""Join instead: `LEFT JOIN LATERAL (SELECT ...) s ON true`, or aggregate the inner table once with
    GROUP BY and LEFT JOIN the result.""",
    example="SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c",
    better="SELECT c.id, s.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders o "
    "WHERE o.customer_id = c.id) s ON true",
)
def correlated_scalar_subquery(ctx: RuleContext):
    out = []
    for target in ctx.of(ast.ResTarget):
        select = ctx.parent_of(target)
        if not isinstance(select, ast.SelectStmt) or target not in (select.targetList or ()):
            continue
        for node in walk(target.val, stop=(ast.SubLink,)):
            if _is_scalar_correlated(ctx, node):
                inner = [i.relname for i in node.subselect.fromClause or () if isinstance(i, ast.RangeVar)]
                what = ", ".join(inner) or "the inner query"
                fix = (
                    f"Join instead: move the subquery on {what} into `LEFT JOIN LATERAL (...) AS sub ON true`, "
                    f"or aggregate {what} once with GROUP BY on the correlated key and LEFT JOIN the result."
                )
                out.append(ctx.finding(node, "Correlated subquery runs once per row of the outer query.", fix=fix))
    return out


@rule(
    id="correlated-subquery-filter",
    title="Correlated scalar subquery in WHERE",
    severity="warning",
    explanation="""A condition comparing a column with a scalar subquery that refers to the outer row (e.g.
    `total > (SELECT avg(total) FROM orders o2 WHERE o2.customer_id = o.customer_id)`) re-runs the subquery for
    every candidate row; PostgreSQL does not decorrelate scalar subqueries.""",
    fix="Compute the inner aggregate once per key in a derived table (or CTE) and join it.",
    example="SELECT o.id FROM orders o WHERE o.total > (SELECT avg(o2.total) FROM orders o2 "
    "WHERE o2.customer_id = o.customer_id)",
    better="SELECT o.id FROM orders o JOIN (SELECT customer_id, avg(total) AS avg_total FROM orders "
    "GROUP BY customer_id) a ON a.customer_id = o.customer_id WHERE o.total > a.avg_total",
)
def correlated_subquery_filter(ctx: RuleContext):
    out = []
    for sub in ctx.of(ast.SubLink):
        if _is_scalar_correlated(ctx, sub) and ctx.in_predicate(sub):
            out.append(ctx.finding(sub, "Correlated scalar subquery in a condition runs once per candidate row."))
    return out


@rule(
    id="huge-in-list",
    title=f"IN list with more than {HUGE_IN_LIST} values",
    severity="warning",
    explanation="""A long literal IN list makes every query text unique (no plan or pg_stat_statements
    reuse), costs parse and plan time, and is searched linearly for each row when it cannot drive an index.""",
    fix="""Pass one array parameter: `col = ANY($1::bigint[])`; for thousands of values join a VALUES list or a
    temporary table.""",
    example="SELECT id FROM orders WHERE customer_id IN (1, 2, 3, ... 500 values)",
    better="SELECT id FROM orders WHERE customer_id = ANY($1::bigint[])",
)
def huge_in_list(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        values = None
        if expr.kind == A_Expr_Kind.AEXPR_IN and isinstance(expr.rexpr, tuple):
            values = expr.rexpr
        elif expr.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL) and isinstance(
            expr.rexpr, ast.A_ArrayExpr
        ):
            values = expr.rexpr.elements or ()
        if values is not None and len(values) > HUGE_IN_LIST:
            fix = (
                f"Pass one array parameter: `{sql_of(expr.lexpr)} = ANY($1)` with an array of the values; for "
                "thousands of values join a VALUES list or a temporary table."
            )
            out.append(ctx.finding(expr, f"IN list of {len(values)} values.", fix=fix))
    return out


@rule(
    id="date-function-equality",
    title="date_trunc / date() / extract() on a column compared with a constant",
    severity="warning",
    explanation="""`date_trunc('day', created_at) = '2024-01-01'`, `created_at::date = ...`, `date(created_at)`
    and `extract(year from created_at) = 2024` compute a value per row: an index on created_at cannot be
    used, so the whole table is read. The same condition written as a range on the bare column can use it.""",
    fix="""Compare the bare column with a half-open range: `created_at >= '2024-01-01' AND created_at <
    '2024-01-01'::timestamp + interval '1 day'` (for a year: `>= '2024-01-01' AND < '2025-01-01'`).""",
    example="SELECT id FROM orders WHERE date_trunc('day', created_at) = '2024-01-01'",
    better="SELECT id FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2024-01-01'::timestamp "
    "+ interval '1 day'",
)
def date_function_equality(ctx: RuleContext):
    out = []
    for expr in comparisons(ctx):
        for side, other in ((expr.lexpr, expr.rexpr), (expr.rexpr, expr.lexpr)):
            col = date_wrapped_column(side)
            if col is not None and is_constant_expr(other):
                what = func_name(side) or "a cast"
                name = column_parts(col)[1]
                field = const_value(side.args[0]) if func_name(side) in ("extract", "date_part") else None
                if isinstance(field, str) and field.lower() not in ("year", "epoch"):
                    message = (
                        f"{what}({field}) on {name} is computed for every row and has no range equivalent; an "
                        f"expression index on exactly that expression would serve it."
                    )
                else:
                    message = f"{what} on {name} hides the column from its index; compare a range."
                out.append(ctx.finding(expr, message))
                break
    return out


@rule(
    id="for-update-without-nowait",
    title="SELECT ... FOR UPDATE that waits for locks",
    severity="info",
    explanation="""FOR UPDATE / FOR SHARE without NOWAIT or SKIP LOCKED waits as long as another transaction
    holds the row: under load, workers queue behind each other (a classic job-queue bottleneck).""",
    fix="""Queue consumers: add SKIP LOCKED. Interactive requests: add NOWAIT (or set lock_timeout) and retry.""",
    example="SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE",
    better="SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
)
def for_update_without_nowait(ctx: RuleContext):
    out = []
    for clause in ctx.of(ast.LockingClause):
        if clause.waitPolicy == LockWaitPolicy.LockWaitBlock:
            where = next((w for w in (ctx.token_span("FOR", k) for k in ("UPDATE", "SHARE", "NO", "KEY")) if w), None)
            out.append(ctx.finding(None, "Row lock waits indefinitely for concurrent holders.", location=where))
    return out


def _cte_references(ctx: RuleContext, cte) -> int:
    name = cte.ctename.lower()
    return sum(
        1
        for rv in ctx.of(ast.RangeVar)
        if rv.relname.lower() == name and rv.schemaname is None and not ctx._inside(rv, cte)
    )


@rule(
    id="cte-multi-reference",
    title="CTE referenced several times is materialized",
    severity="info",
    explanation="""Since PostgreSQL 12 a CTE used once is inlined, but one referenced two or more times is
    materialized: computed in full into a temporary result, without indexes, and conditions from the outer
    query are not pushed into it.""",
    fix="""If each reference filters the CTE differently, write `AS NOT MATERIALIZED` so the planner inlines
    it; keep `AS MATERIALIZED` when computing it once is the point.""",
    example="WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days') "
    "SELECT * FROM recent r1 JOIN recent r2 ON r1.customer_id = r2.customer_id AND r1.id < r2.id",
    better="WITH recent AS NOT MATERIALIZED (SELECT * FROM orders WHERE created_at > now() - interval '7 days') "
    "SELECT * FROM recent r1 JOIN recent r2 ON r1.customer_id = r2.customer_id AND r1.id < r2.id",
)
def cte_multi_reference(ctx: RuleContext):
    out = []
    for cte in ctx.of(ast.CommonTableExpr):
        if cte.ctematerialized != CTEMaterialize.CTEMaterializeDefault or cte.cterecursive:
            continue
        with_clause = ctx.parent_of(cte)
        if getattr(with_clause, "recursive", False) or not isinstance(cte.ctequery, ast.SelectStmt):
            continue
        refs = _cte_references(ctx, cte)
        if refs >= 2:
            out.append(ctx.finding(cte, f"CTE {cte.ctename} is referenced {refs} times, so it is materialized."))
    return out


@rule(
    id="or-across-columns",
    title="OR across different columns",
    severity="info",
    explanation="""`WHERE a = 1 OR b = 2` cannot use one index on (a, b): the planner needs a separate index
    on each column to combine them with a BitmapOr, and otherwise scans the table.""",
    fix="""Make sure each column has an index (the planner then ORs bitmaps), or split the query into a
    UNION ALL of one branch per column with the branches made disjoint.""",
    example="SELECT id FROM customers WHERE email = 'a@example.com' OR phone = '555-0100'",
    better="SELECT id FROM customers WHERE email = 'a@example.com' UNION ALL SELECT id FROM customers "
    "WHERE phone = '555-0100' AND email IS DISTINCT FROM 'a@example.com'",
)
def or_across_columns(ctx: RuleContext):
    out = []
    for stmt in ctx.of(ast.SelectStmt):
        for term in conjuncts(stmt.whereClause):
            if not (isinstance(term, ast.BoolExpr) and term.boolop == BoolExprType.OR_EXPR):
                continue
            cols = [simple_predicate_column(arg) for arg in term.args]
            if any(c is None for c in cols):
                continue
            keys = {column_key(ctx, c) for c in cols}
            if len({column_parts(c)[0] for c in cols}) > 1:
                continue  # columns of different tables: no single-table index plan either way
            if len(keys) >= 2:
                names = ", ".join(sorted(k.lstrip(".") for k in keys))
                out.append(ctx.finding(term, f"OR across columns {names}: one index cannot serve it."))
    return out


@rule(
    id="limit-without-order-by",
    title="LIMIT/OFFSET without ORDER BY",
    severity="warning",
    explanation="""Without ORDER BY, PostgreSQL returns rows in whatever order the plan produces; which rows
    LIMIT keeps can change between runs, after a VACUUM, or with a different plan. Pages overlap or skip rows.""",
    fix="Add an ORDER BY on a unique key (e.g. `ORDER BY created_at, id`).",
    example="SELECT id, total FROM orders WHERE status = 'paid' LIMIT 20 OFFSET 40",
    better="SELECT id, total FROM orders WHERE status = 'paid' ORDER BY id LIMIT 20 OFFSET 40",
)
def limit_without_order_by(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.sortClause or (select.limitCount is None and select.limitOffset is None):
            continue
        if isinstance(select.limitCount, ast.A_Const) and select.limitCount.isnull:
            continue  # LIMIT ALL
        if ctx.sublink_of(select) is not None and ctx.sublink_of(select).subLinkType == SubLinkType.EXISTS_SUBLINK:
            continue
        if all(is_const(t.val) for t in select.targetList or ()) or not select.fromClause:
            continue  # SELECT 1 ... LIMIT 1: any row will do
        if any(is_aggregate_call(n) for t in select.targetList or () for n in walk(t.val, stop=(ast.SubLink,))):
            if not select.groupClause:
                continue  # one aggregate row
        if at_most_one_row(ctx, select):
            continue  # a lookup by key (Django's get() adds LIMIT 21): order cannot matter
        where = ctx.token_span("LIMIT" if select.limitCount is not None else "OFFSET")
        tables = [i.relname for i in _flat_from_items(select.fromClause or ()) if isinstance(i, ast.RangeVar)]
        fix = f"Add an ORDER BY that ends with a unique key of {', '.join(tables) or 'the result'} (its primary key)."
        message = "LIMIT/OFFSET without ORDER BY returns an arbitrary set of rows."
        out.append(ctx.finding(None, message, location=where, fix=fix))
    return out


def at_most_one_row(ctx: RuleContext, select) -> bool:
    """A single-table SELECT whose WHERE pins a unique key with equalities: `id = $1`, or, with schema, all the
    columns of a unique index."""
    items = list(select.fromClause or ())
    if len(items) != 1 or not isinstance(items[0], ast.RangeVar):
        return False
    pinned = set()
    for term in conjuncts(select.whereClause):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and is_constant_expr(b):
                    pinned.add(column_parts(a)[1])
    table = ctx.table(items[0].relname)
    if table is None:
        return "id" in pinned  # the conventional primary key name; only ever used to stay silent
    return any(i.unique and i.columns and not i.expressions and set(i.columns) <= pinned for i in table.indexes)


ARITHMETIC = {"+", "-", "*", "/", "%", "||", "^"}


def _computed_column(node):
    """A column inside arithmetic or concatenation (`price * 1.2`, `first || ' ' || last`)."""
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and op_name(node) in ARITHMETIC:
        cols = columns_in(node)
        return cols[0] if cols else None
    return None


@rule(
    id="computation-on-column",
    title="Arithmetic or concatenation on a column in a condition",
    severity="warning",
    explanation="""`WHERE price * 1.2 > 100` or `WHERE first_name || ' ' || last_name = 'Ada Lovelace'`
    computes a value for every row before comparing: an index on the column cannot be used.""",
    fix="""Move the arithmetic to the constant side (`price > 100 / 1.2`), compare the columns separately, or
    create an expression index on exactly that expression.""",
    example="SELECT id FROM order_items WHERE quantity * 2 > 10",
    better="SELECT id FROM order_items WHERE quantity > 5",
)
def computation_on_column(ctx: RuleContext):
    out = []
    for expr in comparisons(ctx):
        if not ctx.in_predicate(expr):
            continue
        for side, other in ((expr.lexpr, expr.rexpr), (expr.rexpr, expr.lexpr)):
            col = _computed_column(side)
            if col is not None and not columns_in(other) and not isinstance(other, ast.SubLink):
                name = column_parts(col)[1]
                fix = (
                    f"Move the computation to the constant side so {name} stands alone in the comparison, compare "
                    f"the columns separately, or create an expression index on exactly `({sql_of(side)})`."
                )
                out.append(ctx.finding(expr, f"{name} is computed on before comparing; no index can help.", fix=fix))
                break
    return out


@rule(
    id="order-by-in-subquery",
    title="ORDER BY inside a subquery that ignores order",
    severity="info",
    explanation="""ORDER BY in an IN/EXISTS/scalar subquery, or in a derived table the outer query re-sorts,
    sorts rows whose order nobody sees: the cost is paid, the result is the same.""",
    fix="Remove the inner ORDER BY (keep it only together with LIMIT, or inside ARRAY(...)/string_agg).",
    example="SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders ORDER BY created_at)",
    better="SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)",
)
def order_by_in_subquery(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        if not select.sortClause or select.limitCount is not None or select.limitOffset is not None:
            continue
        parent = ctx.parent_of(select)
        useless = False
        if isinstance(parent, ast.SubLink):
            useless = parent.subLinkType in (
                SubLinkType.EXISTS_SUBLINK,
                SubLinkType.ANY_SUBLINK,
                SubLinkType.ALL_SUBLINK,
            )
        elif isinstance(parent, ast.RangeSubselect):
            outer = ctx.enclosing_statement(parent)
            useless = isinstance(outer, ast.SelectStmt) and bool(outer.sortClause or outer.groupClause)
        if useless:
            out.append(ctx.finding(select.sortClause[0], "This ORDER BY sorts rows whose order is not used."))
    return out


@rule(
    id="too-many-joins",
    title=f"More than {JOIN_COLLAPSE_LIMIT} relations in one FROM",
    severity="info",
    explanation=f"""Past join_collapse_limit / from_collapse_limit ({JOIN_COLLAPSE_LIMIT} by default) the
    planner stops searching join orders and keeps the order written; past geqo_threshold (12) it switches to a
    genetic search. Plans for such queries are fragile.""",
    fix="""Drop joins whose columns are unused, pre-aggregate in CTEs or derived tables, or write the joins in
    the best order yourself (the planner follows it).""",
    example="SELECT ... FROM a JOIN b ON ... JOIN c ON ... (9 or more relations)",
    better="Split the query, or pre-join the small lookup tables.",
)
def too_many_joins(ctx: RuleContext):
    out = []
    for select in ctx.of(ast.SelectStmt):
        count = relation_count(select)
        if count > JOIN_COLLAPSE_LIMIT:
            out.append(ctx.finding(select.fromClause[0], f"{count} relations joined: more than join_collapse_limit."))
    return out


def _has_wildcard(pattern: str) -> bool:
    escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch in "%_":
            return True
    return False


@rule(
    id="like-without-wildcard",
    title="LIKE without a wildcard",
    severity="info",
    explanation="""`col LIKE 'abc'` with no % or _ is an equality test written as a pattern match; with a
    non-C collation a plain B-tree index cannot serve LIKE, but it can serve =.""",
    fix="Write `col = 'abc'`.",
    example="SELECT id FROM customers WHERE email LIKE 'alice@example.com'",
    better="SELECT id FROM customers WHERE email = 'alice@example.com'",
)
def like_without_wildcard(ctx: RuleContext):
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_LIKE and op_name(expr) == "~~":
            pattern = const_value(expr.rexpr)
            if isinstance(pattern, str) and not _has_wildcard(pattern):
                fix = f"Write `{sql_of(expr.lexpr)} = {sql_of(expr.rexpr)}`."
                out.append(ctx.finding(expr, f"LIKE {pattern!r} has no wildcard: use =.", fix=fix))
    return out
