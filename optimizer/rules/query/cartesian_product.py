"""cartesian-product: Cartesian product (tables joined without a condition).

Its must-fire and must-not cases are in cartesian_product.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_parts, columns_in, conjuncts, flat_from_items, walk


def _lateral(item) -> bool:
    return bool(getattr(item, "lateral", False))


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


def check(ctx: RuleContext) -> list[Finding]:
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
        names = [n for n in (_item_alias(i) for i in flat_from_items(items)) if n]
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


RULE = Rule(
    id="cartesian-product",
    title="Cartesian product (tables joined without a condition)",
    severity="critical",
    explanation="""FROM a, b (or CROSS JOIN, or JOIN ... ON true) with no condition linking the two returns
    every combination of rows: |a| x |b| rows, usually by mistake (a forgotten join condition).""",
    fix="Add the join condition (`JOIN b ON b.a_id = a.id`); write CROSS JOIN explicitly if it is intended.",
    example="SELECT o.id, c.name FROM orders o, customers c WHERE o.status = 'paid'",
    better="SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid'",
    check=check,
)
