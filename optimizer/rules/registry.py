"""Finds the rules of a family package and looks them up by id.

A family is a package (`optimizer/rules/query/`, `optimizer/rules/schema/`, or any other package laid out the
same way) whose `__init__.py` lists its rule modules in display order as `ORDER`. Each rule module `<name>.py`
defines `RULE` (a `Rule`), and its cases live beside it in `<name>.yaml`; the module name is the rule id with
`_` for `-`. Loading refuses a folder that breaks this shape, so a rule cannot be forgotten or misnamed.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from optimizer.rules.model import Rule

FAMILIES = ("optimizer.rules.query", "optimizer.rules.schema")


class RuleLayoutError(RuntimeError):
    """A family package whose modules do not follow the one-module-per-rule shape."""


def module_name(rule_id: str) -> str:
    return rule_id.replace("-", "_")


def family_modules(package: str) -> list[str]:
    """The rule module names of a family, in its `ORDER`, checked against the folder's contents."""
    family = importlib.import_module(package)
    order = list(getattr(family, "ORDER", ()))
    present = {m.name for m in pkgutil.iter_modules(family.__path__) if not m.name.startswith("_")}
    if set(order) != present or len(order) != len(present):
        missing, unknown = sorted(present - set(order)), sorted(set(order) - present)
        raise RuleLayoutError(f"{package}.ORDER must list each rule module once: missing {missing}, unknown {unknown}")
    return order


def load_family(package: str) -> list[Rule]:
    rules = []
    for name in family_modules(package):
        module = importlib.import_module(f"{package}.{name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            raise RuleLayoutError(f"{module.__name__} defines no RULE")
        if module_name(rule.id) != name:
            raise RuleLayoutError(f"{module.__name__} holds rule {rule.id!r}: name the module {module_name(rule.id)}")
        rules.append(rule)
    return rules


def case_files(package: str) -> dict[str, Path]:
    """rule module name -> the YAML file of must-fire / must-not cases beside it."""
    folder = Path(importlib.import_module(package).__path__[0])
    return {name: folder / f"{name}.yaml" for name in family_modules(package)}


def load_rules(packages=FAMILIES) -> list[Rule]:
    rules = [rule for package in packages for rule in load_family(package)]
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleLayoutError(f"rule ids defined twice: {duplicates}")
    return rules


RULES: list[Rule] = load_rules()
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def get_rule(rule_id: str) -> Rule | None:
    return RULES_BY_ID.get(rule_id)
