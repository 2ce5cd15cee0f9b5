"""What a query asks of each table: its predicates, joins, sort and grouping.

The index advisor builds candidates from this. Plain Python over pglast's parse tree;
column references stay as written (alias or None) until `resolve` matches them to
tables with the catalog's column lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream
from pglast.visitors import Visitor

EQ_OPS = {"="}
RANGE_OPS = {"<", "<=", ">", ">="}
TEXT_MATCH_OPS = {"~~", "~~*"}  # LIKE, ILIKE (AEXPR_OP form)
JSON_CONTAINS_OPS = {"@>", "?", "?|", "?&"}


@dataclass
class Predicate:
    """One conjunct that constrains a column (or an expression over one column) of one table."""

    alias: str | None
    column: str
    kind: str  # eq | range | isnull | trgm | jsonb | prefix
    expression: str | None = None  # "lower(email)" when the predicate is on an expression
    constant: str | None = None  # the literal SQL for `col = <literal>`: a partial index may use it
    negated: bool = False


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
    def __init__(self, stmt: ast.SelectStmt):
        self.stmt = stmt
        self.shape = SelectShape()

    def build(self) -> SelectShape:
        stmt = self.stmt
        quals = []
        for item in stmt.fromClause or ():
            quals.extend(self._from_item(item))
        for cond in _conjuncts(stmt.whereClause) + quals:
            self._condition(cond)
        for sort in stmt.sortClause or ():
            ref = _column_ref(sort.node)
            if ref is None:
                continue
            nulls = {enums.SortByNulls.SORTBY_NULLS_FIRST: "FIRST", enums.SortByNulls.SORTBY_NULLS_LAST: "LAST"}.get(
                sort.sortby_nulls
            )
            self.shape.order_by.append(
                SortKey(ref[0], ref[1], descending=sort.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls=nulls)
            )
        for group in stmt.groupClause or ():
            ref = _column_ref(group)
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
        if isinstance(cond, ast.NullTest):
            ref = _column_ref(cond.arg)
            if ref and cond.nulltesttype == enums.NullTestType.IS_NULL:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "isnull", constant="IS NULL"))
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
        if kind == enums.A_Expr_Kind.AEXPR_IN and op == "=":
            ref = _column_ref(left)
            if ref:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "eq"))
            return
        if kind in (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_BETWEEN_SYM):
            ref = _column_ref(left)
            if ref:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "range"))
            return
        if kind in (enums.A_Expr_Kind.AEXPR_LIKE, enums.A_Expr_Kind.AEXPR_ILIKE) or op in TEXT_MATCH_OPS:
            ref = _column_ref(left)
            if not ref or op.startswith("!"):
                return
            pattern = right.val.sval if isinstance(right, ast.A_Const) and isinstance(right.val, ast.String) else None
            if pattern is not None and not pattern.startswith(("%", "_")) and op == "~~":
                self.shape.predicates.append(Predicate(ref[0], ref[1], "prefix"))
            else:
                self.shape.predicates.append(Predicate(ref[0], ref[1], "trgm"))
            return
        if kind == enums.A_Expr_Kind.AEXPR_OP and op in JSON_CONTAINS_OPS:
            ref = _column_ref(left)
            if ref and self._value_side(right):
                self.shape.predicates.append(Predicate(ref[0], ref[1], "jsonb"))

    def _column_predicate(self, col_side, val_side, op, flipped) -> None:
        kind = "eq" if op == "=" else "range"
        ref = _column_ref(col_side)
        constant = _deparse(val_side) if kind == "eq" and _is_literal(val_side) else None
        if ref:
            if not self._local(ref[0]):
                return
            self.shape.predicates.append(Predicate(ref[0], ref[1], kind, constant=constant))
            return
        # An expression over exactly one column of this block: lower(email) = $1.
        refs = [r for r in _column_refs(col_side) if self._local(r[0])]
        if len({r for r in refs}) == 1 and not isinstance(col_side, ast.SubLink):
            alias, column = refs[0]
            self.shape.predicates.append(
                Predicate(alias, column, kind, expression=_strip_alias(col_side, alias), constant=constant)
            )


def _strip_alias(node, alias: str | None) -> str:
    """The expression's SQL with `alias.` removed, as an index definition needs it."""
    text = _deparse(node)
    if alias:
        text = text.replace(f"{alias}.", "").replace(f'"{alias}".', "")
    return text


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
