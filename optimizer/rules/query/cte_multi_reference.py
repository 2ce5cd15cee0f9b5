"""cte-multi-reference: CTE referenced several times is materialized.

Its must-fire and must-not cases are in cte_multi_reference.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import CTEMaterialize

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, statement_with
from optimizer.rules.model import Finding, Rule


def _cte_references(ctx: RuleContext, cte) -> int:
    name = cte.ctename.lower()
    return sum(
        1
        for rv in ctx.of(ast.RangeVar)
        if rv.relname.lower() == name and rv.schemaname is None and not ctx._inside(rv, cte)
    )


def inlined_fix(ctx: RuleContext, cte) -> str:
    def inlined(copied):
        copied.ctematerialized = CTEMaterialize.CTEMaterializeNever
        return copied

    rewritten = statement_with(ctx.root_of(cte), {id(cte): inlined})
    shown = f": {code(rewritten)}" if rewritten else ""
    return (
        f"If each reference filters {cte.ctename} differently, mark it NOT MATERIALIZED so the planner inlines it "
        f"into each{shown}; keep it materialized when computing it once is the point."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for cte in ctx.of(ast.CommonTableExpr):
        if cte.ctematerialized != CTEMaterialize.CTEMaterializeDefault or cte.cterecursive:
            continue
        with_clause = ctx.parent_of(cte)
        if getattr(with_clause, "recursive", False) or not isinstance(cte.ctequery, ast.SelectStmt):
            continue
        refs = _cte_references(ctx, cte)
        if refs >= 2:
            fix = inlined_fix(ctx, cte)
            message = f"CTE {cte.ctename} is referenced {refs} times, so it is materialized."
            out.append(ctx.finding(cte, message, fix=fix))
    return out


RULE = Rule(
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
    check=check,
)
