"""union-without-all: UNION where UNION ALL would do.

Its must-fire and must-not cases are in union_without_all.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value


def _branch_constants(select) -> list:
    if select.op != SetOperation.SETOP_NONE:
        return []
    return [const_value(t.val) if isinstance(t.val, ast.A_Const) else None for t in select.targetList or ()]


def check(ctx: RuleContext) -> list[Finding]:
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


RULE = Rule(
    id="union-without-all",
    title="UNION where UNION ALL would do",
    severity="info",
    explanation="""UNION removes duplicates, which costs a sort or hash of the whole result. When the
    branches cannot overlap (different tables, a constant tag column, disjoint filters) or duplicates do not
    matter, UNION ALL returns the same rows without that step.""",
    fix="Use UNION ALL unless you need duplicate rows removed.",
    example="SELECT id, 'order' AS kind FROM orders UNION SELECT id, 'event' FROM events",
    better="SELECT id, 'order' AS kind FROM orders UNION ALL SELECT id, 'event' FROM events",
    check=check,
)
