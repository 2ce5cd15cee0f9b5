"""Helpers for fix texts built from the query in front of the user: a copy of the statement with one part
rewritten, printed back as SQL, and the names a query gives its relations.

A fix that shows SQL shows it in backticks (the pages render those spans as code), and only SQL that parses:
`statement_with` returns None when the edited copy does not print back to one parsable statement, and the
caller then says in words what to change. Plain functions over pglast's tree, below context.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from pglast import ast, parse_sql
from pglast.enums import BoolExprType

from optimizer.rules.tree import children, column_parts, flat_from_items, is_column, sql_of, walk


def code(sql: str) -> str:
    """A span the pages show as code."""
    return f"`{sql}`"


def parses(sql: str) -> bool:
    try:
        return len(parse_sql(sql)) == 1
    except Exception:  # noqa: BLE001 - any parser complaint means: do not show it as SQL
        return False


def _parent_in(root, target):
    for node in [root, *_descendants(root)]:
        if any(child is target for child in children(node)):
            return node
    return None


def _descendants(node):
    stack = list(children(node))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def _replace(parent, old, new) -> bool:
    for name in parent.__slots__:
        value = getattr(parent, name, None)
        if value is old:
            setattr(parent, name, new)
            return True
        if isinstance(value, tuple) and any(v is old for v in value):
            setattr(parent, name, tuple(new if v is old else v for v in value))
            return True
    return False


def statement_with(root, edits: dict[int, Callable]) -> str | None:
    """The SQL of a copy of `root` in which each node whose id() is a key of `edits` is replaced by what
    its function returns for the node's copy (None: left as is; the function may also edit the copy in place
    and return it). The user's tree is never touched: other rules read it after this one."""
    memo: dict[int, object] = {}
    copied = copy.deepcopy(root, memo)
    for original_id, edit in edits.items():
        old = memo.get(original_id)
        if old is None:
            return None
        new = edit(old)
        if new is None or new is old:
            continue
        if old is copied:
            copied = new
            continue
        parent = _parent_in(copied, old)
        if parent is None or not _replace(parent, old, new):
            return None
    text = sql_of(copied)
    return text if parses(text) else None


def relation_label(item) -> str:
    """How a FROM item is spoken of in a fix: `orders o`, `orders`, or the derived table's alias."""
    if isinstance(item, ast.RangeVar):
        name = f"{item.schemaname}.{item.relname}" if item.schemaname else item.relname
        return f"{name} {item.alias.aliasname}" if item.alias else name
    alias = getattr(item, "alias", None)
    return f"the subquery {alias.aliasname}" if alias is not None else "a subquery"


def relation_names(select) -> list[str]:
    """The labels of a SELECT's FROM items, joins opened up, in the order written."""
    return [relation_label(i) for i in flat_from_items(select.fromClause or ())]


def alias_of(item) -> str | None:
    """The name columns of a FROM item are qualified with."""
    if isinstance(item, ast.RangeVar):
        return (item.alias.aliasname if item.alias else item.relname).lower()
    alias = getattr(item, "alias", None)
    return alias.aliasname.lower() if alias is not None else None


def and_all(terms: list):
    """One condition of several (None for none)."""
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=tuple(terms))


def spoken_list(words: list[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def owner_alias(ctx, select, colref) -> str | None:
    """The FROM item (by alias) of `select` a column reference reads, or None when it is not one of them or
    cannot be told (an unqualified name that the schema does not place)."""
    aliases = {alias_of(i): i for i in flat_from_items(select.fromClause or ())}
    qualifier, _ = column_parts(colref)
    if qualifier is not None:
        return qualifier if qualifier in aliases else None
    if len(aliases) == 1:
        return next(iter(aliases))
    resolved = ctx.resolve(colref)
    owners = [a for a, i in aliases.items() if resolved and isinstance(i, ast.RangeVar) and i.relname == resolved[0]]
    return owners[0] if len(owners) == 1 else None


def owners_of(ctx, select, *nodes) -> set[str | None]:
    """The FROM items of `select` an expression reads (None among them: a column it cannot place). Columns
    inside subqueries count too: a correlated reference ties the subquery to its relation."""
    out = set()
    for ref in (n for node in nodes for n in walk(node)):
        if not is_column(ref):
            continue
        qualifier, _ = column_parts(ref)
        if qualifier is not None and qualifier not in {alias_of(i) for i in flat_from_items(select.fromClause or ())}:
            continue  # a subquery's own relation, or an enclosing query's
        if qualifier is None and ctx.enclosing_statement(ref) is not select:
            continue  # an unqualified column of a subquery binds there first
        out.add(owner_alias(ctx, select, ref))
    return out


def selects_primary_key(ctx, item, select) -> bool:
    """Do `select`'s plain target columns include the primary key of the table `item` names? Then each row of
    that table gives one distinct result row."""
    table = ctx.table(item.relname) if isinstance(item, ast.RangeVar) else None
    chosen = {column_parts(t.val)[1] for t in select.targetList or () if is_column(t.val)}
    return table is not None and any(
        i.unique and i.name.endswith("_pkey") and i.columns and set(i.columns) <= chosen and not i.predicate
        for i in table.indexes
    )


def branch_label(select) -> str:
    """The relations a set operation's branch reads, or what it is when it is itself a set operation."""
    return spoken_list(relation_names(select)) if select.fromClause else "the branches before it"
