"""The rule engine's layout: one module per rule with its cases beside it, found by id, no import cycles."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

import optimizer.rules
from optimizer.rules import RULES, get_rule
from optimizer.rules.registry import FAMILIES, RuleLayoutError, case_files, load_family, module_name

RULES_DIR = Path(optimizer.rules.__file__).parent
# Bottom to top: a module may import only modules listed before it.
LAYERS = ["model", "tree", "context", "facts"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_rule_is_one_module_named_after_its_id_with_its_cases_beside_it():
    for family in FAMILIES:
        for name, cases in case_files(family).items():
            module = importlib.import_module(f"{family}.{name}")
            assert module_name(module.RULE.id) == name
            assert get_rule(module.RULE.id) is module.RULE
            assert cases.exists(), f"no cases beside {module.__name__}"
            assert yaml.safe_load(cases.read_text())["rule"] == module.RULE.id
            assert module.RULE.check.__module__ == module.__name__
    assert len(RULES) == sum(len(case_files(f)) for f in FAMILIES) == 41


def test_no_case_file_is_left_outside_its_rule():
    ids = {r.id for r in RULES}
    for path in RULES_DIR.parent.rglob("*.yaml"):
        if RULES_DIR in path.parents:
            continue
        data = yaml.safe_load(path.read_text())
        assert not (isinstance(data, dict) and data.get("rule") in ids), f"{path} holds cases of a rule"
    yamls = {p.stem for p in RULES_DIR.glob("*/*.yaml")}
    assert yamls == {module_name(r.id) for r in RULES}


def test_support_modules_import_only_the_layers_below_them():
    for i, name in enumerate(LAYERS):
        ours = {m.split(".")[-1] for m in _imports(RULES_DIR / f"{name}.py") if m.startswith("optimizer.rules.")}
        assert ours <= set(LAYERS[:i]), f"{name}.py imports {sorted(ours - set(LAYERS[:i]))}"


def test_rule_modules_import_no_other_rule_and_no_django():
    for path in RULES_DIR.rglob("*.py"):
        imports = _imports(path)
        assert not any(m == "django" or m.startswith("django.") for m in imports), path
        if path.parent != RULES_DIR and path.name != "__init__.py":
            siblings = {m for m in imports if m.startswith(("optimizer.rules.query", "optimizer.rules.schema"))}
            assert not siblings, f"{path.name} imports another rule: {siblings}"


def test_a_module_missing_from_order_is_refused(tmp_path, monkeypatch):
    package = tmp_path / "extra_rules"
    package.mkdir()
    (package / "__init__.py").write_text('ORDER = ("listed",)\n')
    (package / "listed.py").write_text(
        "from optimizer.rules.model import Rule\n"
        "RULE = Rule(id='listed', title='t', severity='info', explanation='e', fix='f', check=lambda ctx: [])\n"
    )
    (package / "forgotten.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuleLayoutError, match="missing \\['forgotten'\\]"):
        load_family("extra_rules")
    (package / "forgotten.py").unlink()
    assert [r.id for r in load_family("extra_rules")] == ["listed"]
