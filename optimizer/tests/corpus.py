"""Loads the rule corpus: the `<rule>.yaml` cases beside each rule module, plus the shared cases_schema.json."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import yaml

import optimizer.rules
from optimizer.rules import SchemaInfo
from optimizer.rules.registry import FAMILIES, case_files

SCHEMA_FILE = Path(optimizer.rules.__file__).parent / "cases_schema.json"
_INTS = re.compile(r"\{ints:(\d+)\}")


@cache
def shared_schema() -> SchemaInfo:
    return SchemaInfo.from_dict(json.loads(SCHEMA_FILE.read_text()))


def expand(sql: str) -> str:
    return _INTS.sub(lambda m: ", ".join(str(i) for i in range(1, int(m.group(1)) + 1)), sql)


def corpus_files() -> list[Path]:
    """Every rule's case file, found beside its module, missing ones included (the corpus test reports them)."""
    return [path for family in FAMILIES for path in case_files(family).values()]


@cache
def load_corpus() -> dict[str, dict[str, list[str]]]:
    corpus = {}
    for path in corpus_files():
        if not path.exists():
            continue
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
            # must-fire cases whose fix must name this query's objects (`{sql: ..., fix_contains: [...]}`)
            "fix_contains": {
                expand(c["sql"]): list(c["fix_contains"])
                for c in data.get("fire") or []
                if isinstance(c, dict) and c.get("fix_contains")
            },
        }
    return corpus
