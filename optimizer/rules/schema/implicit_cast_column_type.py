"""implicit-cast-column-type: Literal of the wrong type compared with a column.

Its must-fire and must-not cases are in implicit_cast_column_type.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import CAST_FAMILIES, TYPE_FAMILIES, type_family
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value, is_column, predicate_comparisons


def _literal_kind(node) -> tuple[str | None, object]:
    """('int'|'float'|'string'|'bool', value) for a literal, with an explicit cast's family if any."""
    cast = None
    while isinstance(node, ast.TypeCast):
        cast = cast or node.typeName.names[-1].sval.lower()
        node = node.arg
    if cast and isinstance(node, ast.ParamRef):
        return "cast:" + (CAST_FAMILIES.get(cast) or TYPE_FAMILIES.get(cast) or cast), None
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None, None
    if cast:
        return "cast:" + (CAST_FAMILIES.get(cast) or TYPE_FAMILIES.get(cast) or cast), const_value(node)
    val = node.val
    if isinstance(val, ast.Integer):
        return "int", val.ival
    if isinstance(val, ast.Float):
        return "float", val.fval
    if isinstance(val, ast.Boolean):
        return "bool", val.boolval
    if isinstance(val, ast.String):
        return "string", val.sval
    return None, None


def implicit_cast_problem(family: str, kind: str, value) -> tuple[str, str] | None:
    """(severity, message) when comparing a column of `family` with a literal of `kind` misbehaves."""
    if family == "int" and kind == "float":
        return "warning", f"{value} is numeric, so the integer column is cast to numeric for every row: no index."
    if family == "int" and kind in ("cast:numeric", "cast:float"):
        return "warning", "the literal is cast to a non-integer type, so the column is cast too: no index."
    if family == "int" and kind == "string":
        if not str(value).strip().lstrip("+-").isdigit():
            return "critical", f"{value!r} is not an integer: the query fails at run time."
        return "info", (
            f"quoted number {value!r} against an integer column: PostgreSQL converts it, but a driver that "
            "binds it as text makes the comparison fail or cast; pass a number."
        )
    if family in ("int", "numeric", "float") and kind == "cast:text":
        return "critical", "a number column compared with a text value: `operator does not exist` at run time."
    if family == "text" and kind in ("int", "float", "cast:int", "cast:numeric"):
        return "critical", "a text column compared with a number: `operator does not exist` at run time."
    if family in ("time", "bool", "uuid") and kind in ("int", "float"):
        return "critical", f"a {family} column compared with a number: the query fails at run time."
    if family == "text" and kind == "cast:text":
        return None
    return None


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr, side, other in predicate_comparisons(ctx):
        if not is_column(side) or expr.kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            continue
        resolved, info = ctx.column_info(side)
        family = type_family(info.type) if info else None
        if family is None:
            continue
        for value_node in other if isinstance(other, tuple) else (other,):
            kind, value = _literal_kind(value_node)
            problem = implicit_cast_problem(family, kind, value) if kind else None
            if problem:
                severity, message = problem
                fix = (
                    f"Write the literal as a {info.type} value (the type of {resolved[0]}.{resolved[1]}), or cast "
                    "the parameter, never the column."
                )
                out.append(
                    ctx.finding(
                        expr, f"{resolved[0]}.{resolved[1]} ({info.type}): {message}", severity=severity, fix=fix
                    )
                )
                break
    return out


RULE = Rule(
    id="implicit-cast-column-type",
    title="Literal of the wrong type compared with a column",
    severity="warning",
    explanation="""Comparing a column with a literal of another type makes PostgreSQL convert one side. When
    it converts the column (an integer column against 10.5, or against '10'::numeric) the index is lost; when
    no conversion exists (a text column against a number, a boolean against 1) the query fails.""",
    fix="Write the literal in the column's type (`id = 42`, `code = '42'`), or cast the parameter, never the column.",
    example="SELECT id FROM orders WHERE customer_id = 42.0",
    better="SELECT id FROM orders WHERE customer_id = 42",
    needs_schema=True,
    check=check,
)
