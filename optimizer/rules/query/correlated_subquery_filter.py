"""correlated-subquery-filter: Correlated scalar subquery in WHERE.

Its must-fire and must-not cases are in correlated_subquery_filter.yaml beside this file.
"""

from __future__ import annotations

import copy

from pglast import ast
from pglast.enums import A_Expr_Kind, JoinType, SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import alias_of, and_all, code, relation_names, spoken_list, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    column_parts,
    conjuncts,
    flat_from_items,
    func_name,
    is_aggregate_call,
    is_column,
    is_scalar_correlated,
    op_name,
    sql_of,
    walk,
)

COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">="}
# Aggregates that are NULL over no rows: a missing group then fails the comparison exactly as the join drops it.
NULL_ON_EMPTY = {"avg", "sum", "min", "max", "bool_and", "bool_or", "every", "stddev", "variance"}


def _correlation(ctx: RuleContext, sub):
    """(inner key columns, outer columns they equal, the inner's own conditions) when the subquery is tied to
    the outer row by equalities only, else None."""
    inner = sub.subselect
    aliases = {alias_of(i) for i in flat_from_items(inner.fromClause or ())}
    keys, outer_cols, own = [], [], []
    for term in conjuncts(inner.whereClause):
        if is_column(term) or not any(is_column(n) and column_parts(n)[0] not in (None, *aliases) for n in walk(term)):
            own.append(term)
            continue
        if not (isinstance(term, ast.A_Expr) and op_name(term) == "=" and term.kind == A_Expr_Kind.AEXPR_OP):
            return None
        for mine, theirs in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
            if is_column(mine) and is_column(theirs) and column_parts(mine)[0] in aliases:
                if column_parts(theirs)[0] in aliases:
                    return None
                keys.append(mine)
                outer_cols.append(theirs)
                break
        else:
            return None
    names = [column_parts(k)[1] for k in keys]
    return (keys, outer_cols, own) if keys and len(set(names)) == len(names) else None


def derived_table_rewrite(ctx: RuleContext, sub) -> str | None:
    """`o.total > (SELECT avg(o2.total) FROM orders o2 WHERE o2.customer_id = o.customer_id)` as a join to the
    aggregate computed once per key. Equivalent when the comparison is a top-level AND term of WHERE and the
    aggregate is NULL over no rows (avg, sum, min, max...): a key with no inner rows fails the comparison in
    the original and finds no partner in the join."""
    comparison = ctx.parent_of(sub)
    select = ctx.enclosing_statement(sub)
    inner = sub.subselect
    if not (
        isinstance(comparison, ast.A_Expr)
        and comparison.kind == A_Expr_Kind.AEXPR_OP
        and op_name(comparison) in COMPARISONS
        and isinstance(select, ast.SelectStmt)
        and any(t is comparison for t in conjuncts(select.whereClause))
        and len(select.fromClause or ()) == 1
        and len(inner.fromClause or ()) == 1
        and len(inner.targetList or ()) == 1
        and func_name(inner.targetList[0].val) in NULL_ON_EMPTY
        and is_aggregate_call(inner.targetList[0].val)
        and not (inner.groupClause or inner.havingClause or inner.limitCount or inner.distinctClause)
    ):
        return None
    found = _correlation(ctx, sub)
    if found is None:
        return None
    keys, outer_cols, own = found
    alias = "per_key"
    if alias in {alias_of(i) for i in flat_from_items(select.fromClause)}:
        return None
    value = ast.ResTarget(val=copy.deepcopy(inner.targetList[0].val), name="value")
    grouped = ast.SelectStmt(
        targetList=(*(ast.ResTarget(val=copy.deepcopy(k)) for k in keys), value),
        fromClause=copy.deepcopy(inner.fromClause),
        whereClause=and_all([copy.deepcopy(t) for t in own]),
        groupClause=tuple(copy.deepcopy(k) for k in keys),
        op=SetOperation.SETOP_NONE,
    )
    on = and_all(
        [
            ast.A_Expr(
                kind=A_Expr_Kind.AEXPR_OP,
                name=(ast.String(sval="="),),
                lexpr=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval=column_parts(k)[1]))),
                rexpr=copy.deepcopy(o),
            )
            for k, o in zip(keys, outer_cols, strict=True)
        ]
    )
    joined = ast.RangeSubselect(subquery=grouped, alias=ast.Alias(aliasname=alias))
    reference = ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval="value")))

    def rewritten(copied):
        copied.fromClause = (
            ast.JoinExpr(jointype=JoinType.JOIN_INNER, larg=copied.fromClause[0], rarg=joined, quals=on),
        )
        return copied

    return statement_with(ctx.root_of(select), {id(select): rewritten, id(sub): lambda _: reference})


def subquery_fix(ctx: RuleContext, sub) -> str:
    rewritten = derived_table_rewrite(ctx, sub)
    inner = sub.subselect
    reads = spoken_list(relation_names(inner))
    if rewritten:
        return (
            f"Compute {code(sql_of(inner.targetList[0].val))} once per key of {reads} in a derived table and join "
            f"it, instead of once per outer row: {code(rewritten)}."
        )
    return (
        f"The subquery on {reads} runs once per row of {spoken_list(relation_names(ctx.enclosing_statement(sub)))}: "
        f"compute its value once per correlated key in a derived table (or CTE) grouped by that key, and join it."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for sub in ctx.of(ast.SubLink):
        if is_scalar_correlated(ctx, sub) and ctx.in_predicate(sub):
            message = "Correlated scalar subquery in a condition runs once per candidate row."
            out.append(ctx.finding(sub, message, fix=subquery_fix(ctx, sub)))
    return out


RULE = Rule(
    id="correlated-subquery-filter",
    title="Correlated scalar subquery in WHERE",
    severity="warning",
    explanation="""A condition comparing a column with a scalar subquery that refers to the outer row (e.g.
    `total > (SELECT avg(total) FROM orders o2 WHERE o2.customer_id = o.customer_id)`) re-runs the subquery for
    every candidate row; PostgreSQL does not decorrelate scalar subqueries.""",
    fix="Compute the inner aggregate once per key in a derived table (or CTE) and join it.",
    example="SELECT o.id FROM orders o WHERE o.total > (SELECT avg(o2.total) FROM orders o2 "
    "WHERE o2.customer_id = o.customer_id)",
    better="SELECT o.id FROM orders o JOIN (SELECT customer_id, avg(total) AS avg_total FROM orders "
    "GROUP BY customer_id) a ON a.customer_id = o.customer_id WHERE o.total > a.avg_total",
    check=check,
)
