"""Rules are found by id: every module in `rules/` defines one `RULE`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from migration_safety import rules as _rules_package
from migration_safety.model import Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    found = []
    for module in pkgutil.iter_modules(_rules_package.__path__):
        rule = importlib.import_module(f"{_rules_package.__name__}.{module.name}").RULE
        if rule.id != module.name.replace("_", "-"):
            raise ValueError(f"rule module {module.name} defines {rule.id}: the file is named for the rule's id")
        found.append(rule)
    return tuple(sorted(found, key=lambda r: r.id))


def rule_by_id(rule_id: str) -> Rule | None:
    return next((r for r in all_rules() if r.id == rule_id), None)
