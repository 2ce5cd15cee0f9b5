"""union-without-all: UNION where UNION ALL would do.

Its must-fire and must-not cases are in union_without_all.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import branch_label, code, selects_primary_key, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value


def _branch_constants(select) -> list:
    if select.op != SetOperation.SETOP_NONE:
        return []
    return [const_value(t.val) if isinstance(t.val, ast.A_Const) else None for t in select.targetList or ()]


def _distinct_rows(ctx: RuleContext, branch) -> bool:
    """Can a branch not repeat a row on its own? True for one table whose primary key is selected."""
    if branch.op != SetOperation.SETOP_NONE or len(branch.fromClause or ()) != 1 or branch.groupClause:
        return False
    return selects_primary_key(ctx, branch.fromClause[0], branch)


def union_all_fix(ctx: RuleContext, select, tagged: bool) -> str:
    def keep_all(copied):
        copied.all = True
        return copied

    rewritten = statement_with(ctx.root_of(select), {id(select): keep_all})
    shown = f": {code(rewritten)}" if rewritten else ""
    branches = f"{branch_label(select.larg)} and {branch_label(select.rarg)}"
    distinct = _distinct_rows(ctx, select.larg) and _distinct_rows(ctx, select.rarg)
    if tagged and distinct:
        return (
            f"The branches over {branches} carry different constants and each selects its table's primary key, "
            f"so no row repeats: UNION ALL returns the same rows without the sort{shown}."
        )
    if tagged:
        return (
            f"The branches over {branches} carry different constants, so they cannot share a row; UNION ALL "
            f"returns the same rows if neither branch repeats a row on its own (otherwise keep UNION){shown}."
        )
    return (
        f"If no row can come from both branches ({branches}) and neither repeats one, or duplicates do not "
        f"matter to the caller, write UNION ALL{shown}."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.op != SetOperation.SETOP_UNION or select.all:
            continue
        left, right = _branch_constants(select.larg), _branch_constants(select.rarg)
        tagged = any(a is not None and b is not None and a != b for a, b in zip(left, right, strict=False))
        fix = union_all_fix(ctx, select, tagged)
        if tagged:
            msg = "UNION of branches tagged with different constants: they cannot overlap, so UNION ALL is equivalent."
            out.append(ctx.finding(select.rarg, msg, severity="warning", fix=fix))
        else:
            msg = "UNION removes duplicates with a sort or hash; use UNION ALL if none."
            out.append(ctx.finding(select.rarg, msg, fix=fix))
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
