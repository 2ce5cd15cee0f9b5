"""Plain data the rule engine reads and returns: findings, rules, and the schema facts a caller supplies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.stream import RawStream

SEVERITIES = ("info", "warning", "critical")


@dataclass
class Finding:
    rule_id: str
    severity: str  # "info" | "warning" | "critical"
    message: str
    fix: str
    location: dict | None  # {"start": int, "end": int}: character offsets in the query (end exclusive), or None
    doc_url: str  # "/app/rules/<rule_id>/"

    def as_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "location": self.location,
            "doc_url": self.doc_url,
        }


@dataclass
class Rule:
    id: str
    title: str
    severity: str
    explanation: str
    fix: str
    check: Callable[[Any], list[Finding]]  # called with the RuleContext of one analyze() call
    needs_schema: bool = False  # True: silent unless the caller passes the schema facts the rule relies on
    example: str = ""  # a query the rule flags
    better: str = ""  # the same query written the recommended way

    def __post_init__(self):
        # explanations and fixes are written as indented triple-quoted strings: keep single spaces
        self.explanation = " ".join(self.explanation.split())
        self.fix = " ".join(self.fix.split())

    @property
    def doc_url(self) -> str:
        return f"/app/rules/{self.id}/"


@dataclass
class ColumnInfo:
    type: str = ""  # as PostgreSQL spells it: "integer", "character varying(255)", "timestamp with time zone"
    nullable: bool | None = None  # None: unknown


@dataclass
class IndexInfo:
    """One index. `columns` lists the plain key columns in key order (expression positions left out);
    `expressions` the key expressions as SQL text ("lower(email)"); `opclasses` the operator classes named in
    the definition. Pass `definition` (pg_get_indexdef) when you have it: without it or explicit opclasses,
    rules that depend on operator classes treat them as unknown and stay silent."""

    name: str = ""
    columns: list[str] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)
    method: str = "btree"
    unique: bool = False
    predicate: str | None = None
    opclasses: list[str] = field(default_factory=list)
    definition: str | None = None  # pg_get_indexdef() text, when the caller has it

    @property
    def opclasses_known(self) -> bool:
        """Catalog key lists omit operator classes; only explicit ones or the full definition tell them."""
        return bool(self.opclasses) or bool(self.definition)


@dataclass
class TableInfo:
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    indexes: list[IndexInfo] = field(default_factory=list)
    row_estimate: int | None = None
    foreign_keys: list[tuple[list[str], str, list[str]]] = field(default_factory=list)  # (columns, table, columns)


@dataclass
class SchemaInfo:
    tables: dict[str, TableInfo] = field(default_factory=dict)  # key: lower-case unqualified table name

    def __post_init__(self):
        # callers building it by hand may use "public.Orders"; rules look tables up by bare lower-case name
        self.tables = {k.split(".")[-1].strip('"').lower(): v for k, v in self.tables.items()}

    @classmethod
    def from_dict(cls, data: dict) -> SchemaInfo:
        """Build from plain JSON-like data (the corpus fixtures and callers holding dicts use this)."""
        tables = {}
        for name, t in (data.get("tables") or {}).items():
            columns = {}
            for col, info in (t.get("columns") or {}).items():
                if isinstance(info, str):
                    info = {"type": info}
                columns[col.lower()] = ColumnInfo(type=info.get("type", ""), nullable=info.get("nullable"))
            indexes = [index_from_dict(i) for i in t.get("indexes") or []]
            fks = [
                ([c.lower() for c in fk["columns"]], fk["table"].lower(), [c.lower() for c in fk["referred_columns"]])
                if isinstance(fk, dict)
                else (list(fk[0]), fk[1], list(fk[2]))
                for fk in t.get("foreign_keys") or []
            ]
            tables[name.split(".")[-1].strip('"').lower()] = TableInfo(
                columns=columns, indexes=indexes, row_estimate=t.get("row_estimate"), foreign_keys=fks
            )
        return cls(tables=tables)


def index_from_dict(data: dict) -> IndexInfo:
    """An IndexInfo from plain data. Key entries written with an operator class ("phone text_pattern_ops")
    are split; a `definition` (pg_get_indexdef's CREATE INDEX text), when given, is the most precise source
    and fills the method, key columns, expressions and operator classes."""
    columns, opclasses = [], [o.lower() for o in data.get("opclasses") or []]
    for entry in data.get("columns") or []:
        words = str(entry).split()
        if not words:
            continue
        columns.append(words[0].strip('"').lower())
        opclasses.extend(w.lower() for w in words[1:] if w.lower().endswith("_ops"))
    info = IndexInfo(
        name=data.get("name", ""),
        columns=columns,
        expressions=list(data.get("expressions") or []),
        method=(data.get("method") or "btree").lower(),
        unique=bool(data.get("unique", False)),
        predicate=data.get("predicate"),
        opclasses=sorted(set(opclasses)),
        definition=data.get("definition") or None,
    )
    if data.get("definition"):
        _apply_definition(info, data["definition"])
    return info


def _apply_definition(info: IndexInfo, definition: str) -> None:
    try:
        stmt = parse_sql(definition)[0].stmt
    except Exception:  # noqa: BLE001 - keep what the other fields said
        return
    if not isinstance(stmt, ast.IndexStmt):
        return
    columns, expressions, opclasses = [], [], set()
    for elem in stmt.indexParams or ():
        if elem.name:
            columns.append(elem.name.lower())
        elif elem.expr is not None:
            expressions.append(RawStream()(elem.expr))
        opclasses.update(o.sval.lower() for o in elem.opclass or ())
    info.method = (stmt.accessMethod or info.method).lower()
    info.columns, info.expressions, info.opclasses = columns, expressions, sorted(opclasses)
    info.unique = info.unique or bool(stmt.unique)
