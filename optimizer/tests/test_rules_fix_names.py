"""A finding's fix is built from the finding: on a schema whose names differ from the rule docs' examples, no fix
names a table or column the query does not have.

Every must-fire case is replayed with each table and column of the shared schema renamed (`orders` becomes
`zz_orders`, in the SQL and in the schema facts). A fix that still says `orders`, `order_items (order_id)` or
`created_at` was copied from the rule's own example, not built from this query.
"""

from __future__ import annotations

import json
import re

import pytest

from optimizer.rules import SchemaInfo, analyze
from optimizer.tests.corpus import SCHEMA_FILE, load_corpus

CORPUS = load_corpus()
_RAW = json.loads(SCHEMA_FILE.read_text())
NAMES = set(_RAW["tables"]) | {c for t in _RAW["tables"].values() for c in t["columns"]}
_NAME = re.compile(r"\b(" + "|".join(sorted(NAMES, key=len, reverse=True)) + r")\b")
_STRING = re.compile(r"'(?:[^']|'')*'")
_CODE = re.compile(r"`([^`]+)`")


def renamed(text: str) -> str:
    """Every schema name prefixed, outside string literals."""
    out, last = [], 0
    for literal in _STRING.finditer(text):
        out.append(_NAME.sub(r"zz_\1", text[last : literal.start()]))
        out.append(literal.group())
        last = literal.end()
    out.append(_NAME.sub(r"zz_\1", text[last:]))
    return "".join(out)


RENAMED_SCHEMA = SchemaInfo.from_dict(json.loads(renamed(json.dumps(_RAW))))


def _old_names_in(fix: str) -> set[str]:
    """Names of the unrenamed schema written in the fix: as code, or as `table (column)` / `table.column`."""
    words = set()
    for span in _CODE.findall(fix):
        words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", _STRING.sub("", span)))
    words |= set(re.findall(r"(?<![\w.])([a-z_]+)[.(]", _STRING.sub("", fix)))
    return {w for w in words if w in NAMES}


CASES = [
    pytest.param(rule_id, renamed(sql), id=f"{rule_id}-{i}")
    for rule_id, cases in CORPUS.items()
    for i, sql in enumerate(cases["fire"])
]


@pytest.mark.parametrize(("rule_id", "sql"), CASES)
def test_fix_speaks_of_the_renamed_query(rule_id, sql):
    for finding in analyze(sql, RENAMED_SCHEMA, strict=True):
        if finding.rule_id == rule_id:
            assert not _old_names_in(finding.fix), (finding.fix, sql)


def test_the_renaming_keeps_the_cases_firing():
    # The replay is only a check if the rules still fire on the renamed queries.
    fired = sum(any(f.rule_id == p.values[0] for f in analyze(p.values[1], RENAMED_SCHEMA)) for p in CASES)
    assert fired >= 0.9 * len(CASES), (fired, len(CASES))
