"""too-many-joins: f"More than {JOIN_COLLAPSE_LIMIT} relations in one FROM".

Its must-fire and must-not cases are in too_many_joins.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import alias_of, code, owners_of, relation_label, relation_names, spoken_list
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import conjuncts, flat_from_items, is_column, relation_count

JOIN_COLLAPSE_LIMIT = 8


def _joined_only(ctx: RuleContext, select) -> list[str]:
    """Relations whose columns appear nowhere but in join conditions: candidates to drop."""
    items = flat_from_items(select.fromClause or ())
    used = owners_of(
        ctx,
        select,
        *(t.val for t in select.targetList or ()),
        *(s.node for s in select.sortClause or ()),
        *(select.groupClause or ()),
        *([select.havingClause] if select.havingClause is not None else []),
        *(t for t in conjuncts(select.whereClause) if len(owners_of(ctx, select, t)) <= 1),
    )
    if None in used or any(isinstance(t.val, ast.ColumnRef) and not is_column(t.val) for t in select.targetList or ()):
        return []  # a star or an unplaced column may read any of them
    return [relation_label(i) for i in items if isinstance(i, ast.RangeVar) and alias_of(i) not in used]


def joins_fix(ctx: RuleContext, select, count: int) -> str:
    names = relation_names(select)
    idle = _joined_only(ctx, select)
    drop = (
        f"{spoken_list(idle)} give no column to the result and no condition of their own: drop each join that "
        f"neither filters nor multiplies rows. "
        if idle
        else ""
    )
    explicit = any(isinstance(i, ast.JoinExpr) for i in select.fromClause)
    search = (
        f", or let it search every order for this statement: {code(f'SET LOCAL join_collapse_limit = {count}')}"
        if explicit
        else ""
    )
    return (
        f"{count} relations ({spoken_list(names)}) are past the planner's limit of {JOIN_COLLAPSE_LIMIT}. {drop}"
        f"Pre-aggregate in CTEs or derived tables, or write the joins in the best order yourself (the planner "
        f"keeps it){search}."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        count = relation_count(select)
        if count > JOIN_COLLAPSE_LIMIT:
            message = f"{count} relations joined: more than join_collapse_limit."
            out.append(ctx.finding(select.fromClause[0], message, fix=joins_fix(ctx, select, count)))
    return out


RULE = Rule(
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
    check=check,
)
