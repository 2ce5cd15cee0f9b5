"""Schema-fact helpers the schema rules share: type families, thresholds on the planner's row estimates, and
matching a query's expression against an index's."""

from __future__ import annotations

from functools import lru_cache

from pglast import parse_sql

from optimizer.rules.model import TableInfo
from optimizer.rules.tree import canonical

SMALL_TABLE_ROWS = 1000

BIG_TABLE_ROWS = 100_000


TYPE_FAMILIES = {
    "smallint": "int",
    "int2": "int",
    "integer": "int",
    "int": "int",
    "int4": "int",
    "bigint": "int",
    "int8": "int",
    "serial": "int",
    "bigserial": "int",
    "smallserial": "int",
    "numeric": "numeric",
    "decimal": "numeric",
    "real": "float",
    "float4": "float",
    "double precision": "float",
    "float8": "float",
    "money": "money",
    "text": "text",
    "character varying": "text",
    "varchar": "text",
    "character": "text",
    "char": "text",
    "bpchar": "text",
    "citext": "text",
    "name": "text",
    "uuid": "uuid",
    "boolean": "bool",
    "bool": "bool",
    "date": "time",
    "timestamp": "time",
    "timestamp without time zone": "time",
    "timestamp with time zone": "time",
    "timestamptz": "time",
    "json": "json",
    "jsonb": "jsonb",
}


CAST_FAMILIES = {"int4": "int", "int8": "int", "int2": "int", "numeric": "numeric", "float8": "float", "text": "text"}


def type_family(type_name: str | None) -> str | None:
    if not type_name:
        return None
    base = type_name.lower().split("(")[0].strip()
    if base.endswith("[]"):
        return "array"
    return TYPE_FAMILIES.get(base)


@lru_cache(maxsize=4096)
def expression_text_canonical(text: str) -> str:
    """The canonical form of an index expression as the catalog spells it (`lower((email)::text)`)."""
    try:
        node = parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    except Exception:  # noqa: BLE001 - an unparsable expression simply matches nothing
        return f"<unparsable {text}>"
    return canonical(node)


def has_expression_index(table: TableInfo, expr) -> bool:
    """Is there an index on exactly this expression (qualifiers and casts ignored)?"""
    wanted = canonical(expr)
    for index in table.indexes:
        for text in index.expressions:
            if expression_text_canonical(text) == wanted:
                return True
    return False
