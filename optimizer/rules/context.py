"""What a rule sees: the parsed statements, every node with its parent, scopes, and schema look-ups.

Everything is computed once per `analyze()` call so that forty rules cost one walk of the tree.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from pglast import ast
from pglast.parser import scan

from optimizer.rules.model import Finding, Rule, SchemaInfo, TableInfo
from optimizer.rules.tree import LITERAL_TOKENS, children, column_parts, is_column, walk


class Scope:
    """The relations a SELECT/UPDATE/DELETE reads from: alias -> table name (None for derived tables)."""

    def __init__(self):
        self.aliases: dict[str, str | None] = {}
        self.items: list = []  # RangeVar / RangeSubselect / RangeFunction nodes, flattened out of joins

    def add(self, item):
        if isinstance(item, ast.JoinExpr):
            self.add(item.larg)
            self.add(item.rarg)
            return
        self.items.append(item)
        if isinstance(item, ast.RangeVar):
            name = item.relname.lower()
            alias = item.alias.aliasname.lower() if item.alias else name
            self.aliases[alias] = name
        elif getattr(item, "alias", None) is not None:
            self.aliases[item.alias.aliasname.lower()] = None


def from_items(stmt) -> list:
    if isinstance(stmt, ast.SelectStmt):
        return list(stmt.fromClause or ())
    if isinstance(stmt, ast.UpdateStmt):
        return [stmt.relation, *(stmt.fromClause or ())]
    if isinstance(stmt, ast.DeleteStmt):
        return [stmt.relation, *(stmt.usingClause or ())]
    return []


class RuleContext:
    def __init__(self, sql: str, statements, schema: SchemaInfo | None):
        self.sql = sql
        self.statements = statements
        self.schema = schema
        self.parent: dict[int, object] = {}
        self.by_type: dict[type, list] = defaultdict(list)
        self.rule: Rule | None = None
        self._scopes: dict[int, Scope] = {}
        for raw in statements:
            self._index(raw.stmt)

    def _index(self, root):
        stack = [root]
        while stack:
            node = stack.pop()
            self.by_type[type(node)].append(node)
            for child in children(node):
                self.parent[id(child)] = node
                stack.append(child)

    # --- tree navigation -------------------------------------------------------------------------------

    def of(self, cls) -> list:
        return self.by_type.get(cls, [])

    def parent_of(self, node):
        return self.parent.get(id(node))

    def ancestors(self, node):
        current = self.parent_of(node)
        while current is not None:
            yield current
            current = self.parent_of(current)

    def enclosing_statement(self, node):
        """The nearest SELECT/UPDATE/DELETE/INSERT whose scope the node is evaluated in."""
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt, ast.InsertStmt)):
                return anc
        return None

    def root_of(self, node):
        """The whole statement a node belongs to (what a fix rewrites and shows)."""
        root = node
        for anc in self.ancestors(node):
            root = anc
        return root

    def sublink_of(self, select):
        """The SubLink a SELECT is the body of, or None."""
        parent = self.parent_of(select)
        return parent if isinstance(parent, ast.SubLink) else None

    def is_subquery(self, select) -> bool:
        parent = self.parent_of(select)
        return isinstance(parent, (ast.SubLink, ast.RangeSubselect))

    def in_predicate(self, node) -> bool:
        """True when the node is part of a WHERE, JOIN ... ON or HAVING condition."""
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt)):
                return child is anc.whereClause or child is getattr(anc, "havingClause", None)
            if isinstance(anc, ast.JoinExpr):
                return child is anc.quals
            if isinstance(anc, ast.SubLink):
                return self.in_predicate(anc)
            child = anc
        return False

    # --- scopes and column resolution ------------------------------------------------------------------

    def scope(self, stmt) -> Scope:
        key = id(stmt)
        if key not in self._scopes:
            scope = Scope()
            for item in from_items(stmt):
                if item is not None:
                    scope.add(item)
            self._scopes[key] = scope
        return self._scopes[key]

    def statements_around(self, node):
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt)):
                yield anc

    def resolve(self, colref) -> tuple[str, str] | None:
        """(table, column) a column reference reads, or None when it cannot be known for sure."""
        if not is_column(colref):
            return None
        qualifier, column = column_parts(colref)
        for stmt in self.statements_around(colref):
            scope = self.scope(stmt)
            if qualifier is not None:
                if qualifier in scope.aliases:
                    table = scope.aliases[qualifier]
                    return (table, column) if table else None
                continue
            if not scope.items:
                continue
            plain = [i for i in scope.items if isinstance(i, ast.RangeVar)]
            if len(plain) != len(scope.items):
                return None  # a derived table or function may provide the column: unknowable here
            known = [self.table(i.relname) for i in plain]
            if len(plain) == 1 and known[0] is None:
                return plain[0].relname.lower(), column
            if any(t is None for t in known):
                return None
            owners = [i.relname.lower() for i, t in zip(plain, known, strict=True) if column in t.columns]
            if len(owners) == 1:
                return owners[0], column
            if owners:
                return None  # ambiguous
            # not a column of this level: a correlated reference to an enclosing query
        return None

    def binding_statement(self, colref):
        """The statement whose FROM a qualified column reference binds to (correlation checks)."""
        qualifier, _ = column_parts(colref)
        if qualifier is None:
            return None
        for stmt in self.statements_around(colref):
            if qualifier in self.scope(stmt).aliases:
                return stmt
        return None

    def is_correlated(self, select) -> bool:
        """Does a subquery reference a relation of an enclosing query (by qualified name)?"""
        for node in walk(select):
            if is_column(node):
                owner = self.binding_statement(node)
                if owner is not None and owner is not select and not self._inside(owner, select):
                    return True
        return False

    def _inside(self, node, container) -> bool:
        return any(anc is container for anc in self.ancestors(node))

    # --- schema ----------------------------------------------------------------------------------------

    def table(self, name: str | None) -> TableInfo | None:
        if not name or self.schema is None:
            return None
        return self.schema.tables.get(name.lower())

    def column_info(self, colref):
        resolved = self.resolve(colref)
        if not resolved:
            return None, None
        table = self.table(resolved[0])
        if table is None:
            return resolved, None
        return resolved, table.columns.get(resolved[1])

    # --- reporting -------------------------------------------------------------------------------------

    @cached_property
    def tokens(self):
        try:
            return scan(self.sql)
        except Exception:  # noqa: BLE001 - locations are a nicety; never fail a lint on them
            return []

    def span(self, node) -> dict | None:
        """Character offsets covering the node: from its first located token to the end of its last, then
        over trailing literals (pglast gives constants no location) and the parentheses the node opened."""
        nodes = list(walk(node))
        locations = [n.location for n in nodes if isinstance(getattr(n, "location", None), int)]
        locations = [loc for loc in locations if loc >= 0]
        if not locations:
            return None
        # the closing parenthesis of an IN (...) list or ARRAY[...] is recorded apart from `location`
        ends = [getattr(n, attr, 0) for n in nodes for attr in ("rexpr_list_end", "list_end")]
        start, last = min(locations), max([*locations, *[e for e in ends if isinstance(e, int)]])
        toks = self.tokens
        if not toks:
            return {"start": start, "end": last + 1}
        has_literals = any(isinstance(n, ast.A_Const) for n in nodes)
        has_calls = any(isinstance(n, ast.FuncCall) for n in nodes)
        depth, end, i = 0, last + 1, 0
        while i < len(toks) and toks[i].start < start:
            i += 1
        if has_literals and 0 < i <= len(toks) and toks[i - 1].name in LITERAL_TOKENS:
            start = toks[i - 1].start  # a literal on the left (`NULL = x`, `0 = (SELECT ...)`) has no location
        while i < len(toks) and toks[i].start <= last:
            depth += toks[i].name == "ASCII_40"
            depth -= toks[i].name == "ASCII_41"
            end = toks[i].end + 1
            i += 1
        while i < len(toks):
            name = toks[i].name
            if name == "ASCII_41" and depth > 0:
                depth -= 1
            elif name == "ASCII_40" and has_calls and toks[i - 1].end + 1 == toks[i].start:
                depth += 1  # the argument list of a call without located arguments: random()
            elif has_literals and name in LITERAL_TOKENS:
                pass
            elif has_literals and name == "ASCII_44" and i + 1 < len(toks) and toks[i + 1].name in LITERAL_TOKENS:
                pass
            elif name == "ASCII_46" and i + 1 < len(toks):
                i += 1  # the rest of a qualified name: alias . column
            elif has_literals and name == "TYPECAST" and i + 1 < len(toks):
                i += 1  # the type name after ::
            else:
                break
            end = toks[i].end + 1
            i += 1
        return {"start": start, "end": end}

    def token_span(self, keyword: str, following: str | None = None) -> dict | None:
        """The span of a keyword token and the token after it (`OFFSET 5000`), first match."""
        toks = self.tokens
        for i, tok in enumerate(toks):
            if tok.name == keyword and i + 1 < len(toks):
                nxt = toks[i + 1]
                if following is None or self.sql[nxt.start : nxt.end + 1].upper() == following.upper():
                    return {"start": tok.start, "end": nxt.end + 1}
        return None

    def finding(
        self, node, message: str, fix: str | None = None, severity: str | None = None, location: dict | None = None
    ) -> Finding:
        rule = self.rule
        return Finding(
            rule_id=rule.id,
            severity=severity or rule.severity,
            message=message,
            fix=fix or rule.fix,
            location=location or (self.span(node) if node is not None else None),
            doc_url=rule.doc_url,
        )
