"""Loads the rule corpus: optimizer/tests/rule_corpus/<rule-id>.yaml plus the shared schema.json."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import yaml

from optimizer.rules import SchemaInfo

CORPUS_DIR = Path(__file__).parent / "rule_corpus"
_INTS = re.compile(r"\{ints:(\d+)\}")


@cache
def shared_schema() -> SchemaInfo:
    return SchemaInfo.from_dict(json.loads((CORPUS_DIR / "schema.json").read_text()))


def expand(sql: str) -> str:
    return _INTS.sub(lambda m: ", ".join(str(i) for i in range(1, int(m.group(1)) + 1)), sql)


@cache
def load_corpus() -> dict[str, dict[str, list[str]]]:
    corpus = {}
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        corpus[data["rule"]] = {
            "file": path.name,
            "fire": [expand(c if isinstance(c, str) else c["sql"]) for c in data.get("fire") or []],
            "no_fire": [expand(c if isinstance(c, str) else c["sql"]) for c in data.get("no_fire") or []],
            # cases whose expectation needs the shared schema (`{sql: ..., schema_only: true}`)
            "schema_only": {
                expand(c["sql"])
                for kind in ("fire", "no_fire")
                for c in data.get(kind) or []
                if isinstance(c, dict) and c.get("schema_only")
            },
        }
    return corpus
