"""distinct-with-join: DISTINCT over a join.

Its must-fire and must-not cases are in distinct_with_join.yaml beside this file.
"""

from __future__ import annotations

import copy

from pglast import ast
from pglast.enums import JoinType, SetOperation, SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import (
    alias_of,
    and_all,
    code,
    owners_of,
    relation_label,
    relation_names,
    selects_primary_key,
    spoken_list,
    statement_with,
)
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    conjuncts,
    flat_from_items,
    func_name,
    relation_count,
    sql_of,
    walk,
)

VOLATILE = {"random", "nextval", "clock_timestamp", "gen_random_uuid", "setseed"}


def _inner_joins_only(items) -> bool:
    for item in items:
        if isinstance(item, ast.JoinExpr):
            if item.jointype != JoinType.JOIN_INNER or item.usingClause or item.isNatural or item.quals is None:
                return False
            if not _inner_joins_only([item.larg, item.rarg]):
                return False
        elif not isinstance(item, ast.RangeVar):
            return False
    return True


def _join_conditions(items) -> list:
    out = []
    for item in items:
        if isinstance(item, ast.JoinExpr):
            out += _join_conditions([item.larg, item.rarg]) + conjuncts(item.quals)
    return out


def exists_rewrite(ctx: RuleContext, select) -> tuple[str, str, bool] | None:
    """(kept relation, the statement with the other relations moved into EXISTS, DISTINCT dropped), when the
    result reads one relation only and the others just filter it."""
    items = flat_from_items(select.fromClause or ())
    if not _inner_joins_only(select.fromClause or ()) or select.op != SetOperation.SETOP_NONE:
        return None
    if select.groupClause or select.havingClause or select.windowClause or select.lockingClause:
        return None
    if any(func_name(n) in VOLATILE for n in walk(select)):
        return None
    if any(d is not None for d in select.distinctClause or ()):
        return None  # DISTINCT ON keeps one row per key: which one depends on the joined rows
    shown = owners_of(
        ctx, select, *(t.val for t in select.targetList or ()), *(s.node for s in select.sortClause or ())
    )
    if len(shown) != 1 or None in shown:
        return None
    kept_alias = next(iter(shown))
    kept = next(i for i in items if alias_of(i) == kept_alias)
    outer, inner = [], []
    for term in _join_conditions(select.fromClause or ()) + conjuncts(select.whereClause):
        owners = owners_of(ctx, select, term)
        if None in owners:
            return None
        (outer if owners <= {kept_alias} else inner).append(copy.deepcopy(term))
    others = [copy.deepcopy(i) for i in items if i is not kept]
    probe = ast.SelectStmt(
        targetList=(ast.ResTarget(val=ast.A_Const(isnull=False, val=ast.Integer(ival=1))),),
        fromClause=tuple(others),
        whereClause=and_all(inner),
        op=SetOperation.SETOP_NONE,
    )
    exists = ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=probe)
    drop_distinct = selects_primary_key(ctx, kept, select)

    def rewritten(copied):
        copied.fromClause = (copy.deepcopy(kept),)
        copied.whereClause = and_all([*outer, exists])
        if drop_distinct:
            copied.distinctClause = None
        return copied

    sql = statement_with(ctx.root_of(select), {id(select): rewritten})
    return (relation_label(kept), sql, drop_distinct) if sql else None


def distinct_fix(ctx: RuleContext, select) -> str:
    found = exists_rewrite(ctx, select)
    if found is not None:
        kept, sql, dropped = found
        why = (
            f"and the selected columns include the primary key of {kept}, so DISTINCT has nothing left to remove"
            if dropped
            else "and keep DISTINCT only if rows of it can repeat in the selected columns"
        )
        return (
            f"The result reads only {kept}; the other tables just filter it. Test them with EXISTS, a semi-join "
            f"that never multiplies rows, {why}: {code(sql)}."
        )
    joins = [sql_of(t) for t in _join_conditions(select.fromClause or ())] or [
        sql_of(t) for t in conjuncts(select.whereClause) if len(owners_of(ctx, select, t)) > 1
    ]
    condition = f"the join condition ({spoken_list([code(j) for j in joins])})" if joins else "a join condition"
    return (
        f"The result takes columns from {spoken_list(relation_names(select))}, so the join stays: check that "
        f"{condition} is the whole relationship between them, since a missing or partial condition multiplies "
        f"rows that DISTINCT then sorts away; when another table only filters, test it with EXISTS instead."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.distinctClause and relation_count(select) >= 2:
            node = select.targetList[0] if select.targetList else None
            out.append(ctx.finding(node, "DISTINCT over a join of tables.", fix=distinct_fix(ctx, select)))
    return out


RULE = Rule(
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
    check=check,
)
