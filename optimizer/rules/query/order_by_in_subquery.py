"""order-by-in-subquery: ORDER BY inside a subquery that ignores order.

Its must-fire and must-not cases are in order_by_in_subquery.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, relation_names, spoken_list, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import sql_of


def unsorted_fix(ctx: RuleContext, select) -> str:
    def unsorted(copied):
        copied.sortClause = None
        return copied

    order = code("ORDER BY " + ", ".join(sql_of(s) for s in select.sortClause))
    rewritten = statement_with(ctx.root_of(select), {id(select): unsorted})
    reads = spoken_list(relation_names(select)) or "the subquery"
    shown = f": {code(rewritten)}." if rewritten else "."
    return f"Remove {order} from the subquery on {reads}; the outer query does not keep its order{shown}"


def check(ctx: RuleContext) -> list[Finding]:
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
            message = "This ORDER BY sorts rows whose order is not used."
            out.append(ctx.finding(select.sortClause[0], message, fix=unsorted_fix(ctx, select)))
    return out


RULE = Rule(
    id="order-by-in-subquery",
    title="ORDER BY inside a subquery that ignores order",
    severity="info",
    explanation="""ORDER BY in an IN/EXISTS/scalar subquery, or in a derived table the outer query re-sorts,
    sorts rows whose order nobody sees: the cost is paid, the result is the same.""",
    fix="Remove the inner ORDER BY (keep it only together with LIMIT, or inside ARRAY(...)/string_agg).",
    example="SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders ORDER BY created_at)",
    better="SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)",
    check=check,
)
