"""The sample schemas as the grounding engine's plain input, read from the dataset files.

The CREATE TABLE, foreign-key and COMMENT statements are parsed with pglast (PostgreSQL's own parser), data
blocks left out: this keeps the question-set tests at well under a second instead of loading each dataset
into PostgreSQL. `test_grounding.py` checks once against the catalog read from a real database that both
give the same tables, columns and foreign keys.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from assistant.grounding import Column, ForeignKey, Table
from schema_metadata import demo_shop

# The work tree lives beside shared/ (CI clones it there too).
DATASETS_DIR = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS_DIR.exists():
    DATASETS_DIR = Path("/work/shared/datasets")
DATASETS = ("pagila", "chinook", "northwind", "demo_shop")
QUESTIONS_FILE = Path(__file__).with_name("grounding_questions.yaml")

_COPY_BLOCK = re.compile(r"^COPY .*? FROM stdin;\n.*?^\\\.\n", re.S | re.M)
_INSERT = re.compile(r"^INSERT INTO .*?\);\n", re.S | re.M)


def dataset_sql(dataset: str) -> str:
    """The DDL of a dataset (its rows left out)."""
    if dataset == "demo_shop":
        return demo_shop.SCHEMA_SQL + ";\n".join(s for s in demo_shop.DATA_SQL if "FOREIGN KEY" in s) + ";"
    text = (DATASETS_DIR / f"{dataset}.sql").read_text()
    return _INSERT.sub("", _COPY_BLOCK.sub("", text))


def _type_name(type_name: ast.TypeName) -> str:
    return RawStream()(type_name)


def _foreign_key(constraint: ast.Constraint, own_column: str | None, default_schema: str) -> ForeignKey:
    columns = tuple(a.sval for a in constraint.fk_attrs or ()) or ((own_column,) if own_column else ())
    return ForeignKey(
        columns=columns,
        ref_schema=constraint.pktable.schemaname or default_schema,
        ref_table=constraint.pktable.relname,
        ref_columns=tuple(a.sval for a in constraint.pk_attrs or ()),
    )


def _is_fk(node) -> bool:
    return isinstance(node, ast.Constraint) and node.contype == enums.ConstrType.CONSTR_FOREIGN


def parse_tables(sql: str, *, schema: str | None = None) -> list[Table]:
    """Tables of a DDL script; `schema` replaces every schema name (to put several datasets side by side)."""
    columns: dict[tuple[str, str], list[Column]] = {}
    fks: dict[tuple[str, str], list[ForeignKey]] = {}
    comments: dict[tuple[str, str], str] = {}
    parents: dict[tuple[str, str], str] = {}

    def key(relation: ast.RangeVar) -> tuple[str, str]:
        return (schema or relation.schemaname or "public", relation.relname)

    for raw in parse_sql(sql):
        stmt = raw.stmt
        if isinstance(stmt, ast.CreateStmt) and not stmt.partbound:
            k = key(stmt.relation)
            columns[k], fks[k] = [], []
            for element in stmt.tableElts or ():
                if isinstance(element, ast.ColumnDef):
                    columns[k].append(Column(element.colname, _type_name(element.typeName)))
                    for c in element.constraints or ():
                        if _is_fk(c):
                            fks[k].append(_foreign_key(c, element.colname, k[0]))
                elif _is_fk(element):
                    fks[k].append(_foreign_key(element, None, k[0]))
        elif isinstance(stmt, ast.AlterTableStmt):
            for cmd in stmt.cmds:
                if cmd.subtype == enums.AlterTableType.AT_AttachPartition:
                    parent = key(stmt.relation)
                    parents[key(cmd.def_.name)] = f"{parent[0]}.{parent[1]}"
                elif cmd.subtype == enums.AlterTableType.AT_AddConstraint and _is_fk(cmd.def_):
                    k = key(stmt.relation)
                    fks.setdefault(k, []).append(_foreign_key(cmd.def_, None, k[0]))
        elif isinstance(stmt, ast.CommentStmt) and stmt.objtype == enums.ObjectType.OBJECT_TABLE:
            names = [n.sval for n in stmt.object]
            comments[(schema or (names[0] if len(names) > 1 else "public"), names[-1])] = stmt.comment or ""
    return [
        Table(
            schema=s,
            name=n,
            columns=tuple(cols),
            comment=comments.get((s, n), ""),
            foreign_keys=tuple(
                ForeignKey(fk.columns, schema or fk.ref_schema, fk.ref_table, fk.ref_columns) for fk in fks[(s, n)]
            ),
            partition_of=parents.get((s, n), ""),
        )
        for (s, n), cols in columns.items()
    ]


@cache
def dataset_tables(dataset: str, schema: str | None = None) -> tuple[Table, ...]:
    return tuple(parse_tables(dataset_sql(dataset), schema=schema))


# --- the large schema ---------------------------------------------------------------------------------------

_AREAS = ["crm", "hr", "erp", "wms", "billing", "marketing", "support", "analytics", "logistics", "finance"]
_NOUNS = [
    "account",
    "campaign",
    "lead",
    "opportunity",
    "ticket",
    "asset",
    "contract",
    "vehicle",
    "shipment",
    "warehouse",
    "budget",
    "ledger",
    "journal",
    "invoice_run",
    "tax_rate",
    "currency",
    "exchange_rate",
    "device",
    "sensor",
    "reading",
    "subscription",
    "plan",
    "coupon",
    "discount",
    "promotion",
    "survey",
    "response",
    "session",
    "page_view",
    "click",
    "notification",
    "message",
    "attachment",
    "document",
    "approval",
    "task",
    "project",
    "milestone",
    "timesheet",
    "payroll",
    "benefit",
    "position",
    "department",
    "location",
    "route",
    "driver",
    "fleet",
    "maintenance",
    "incident",
    "audit",
    "policy",
    "claim",
    "partner",
    "vendor_contact",
    "sku_mapping",
]
_SUFFIXES = ["", "_history", "_log", "_archive", "_snapshot", "_stats", "_daily", "_staging", "_map", "_settings"]
_COLUMN_WORDS = [
    ("status", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("amount", "numeric(12,2)"),
    ("code", "varchar(32)"),
    ("description", "text"),
    ("is_active", "boolean"),
    ("owner_id", "bigint"),
    ("external_ref", "text"),
    ("priority", "integer"),
    ("notes", "text"),
    ("valid_from", "date"),
    ("valid_to", "date"),
    ("region_code", "char(2)"),
    ("quantity", "integer"),
    ("payload", "jsonb"),
]


def distractor_tables(count: int, seed: int = 2000) -> list[Table]:
    """`count` tables with realistic, unique names and columns, the same for the same seed."""
    rng = random.Random(seed)
    names = [f"{a}_{n}{s}" for a in _AREAS for n in _NOUNS for s in _SUFFIXES]
    rng.shuffle(names)
    tables: list[Table] = []
    for name in names[:count]:
        schema = name.split("_", 1)[0]
        cols = [Column("id", "bigint")] + [Column(c, t) for c, t in rng.sample(_COLUMN_WORDS, rng.randint(3, 9))]
        fks = ()
        if tables and rng.random() < 0.5:
            target = rng.choice(tables[-50:])
            cols.append(Column(f"{target.name}_id", "bigint"))
            fks = (ForeignKey((f"{target.name}_id",), target.schema, target.name, ("id",)),)
        tables.append(Table(schema, name, tuple(cols), foreign_keys=fks))
    return tables


@cache
def large_schema(size: int = 2000) -> tuple[Table, ...]:
    """The four datasets, each in a schema of its own name, plus distractors up to `size` tables."""
    real = [t for d in DATASETS for t in dataset_tables(d, d)]
    return tuple(real + distractor_tables(size - len(real)))
