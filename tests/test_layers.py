"""The apps stay in layers: the import contracts hold, and the drawing in docs/architecture.md matches them."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = next(c for c in CONFIG["contracts"] if c["id"] == "layers")["layers"]


def _layers_top_first() -> list[set[str]]:
    return [{name.strip() for name in layer.split("|")} for layer in LAYERS]


@pytest.fixture(scope="module")
def graph():
    """The project's import graph without test modules (tests may build fixtures from any app)."""
    graph = grimp.build_graph(*CONFIG["root_packages"], cache_dir=None)
    for module in list(graph.modules):
        if ".tests" in module or module.endswith(".conftest"):
            graph.remove_module(module)
    return graph


def _illegal(graph) -> set:
    layers = [grimp.Layer(*sorted(names), independent=True) for names in _layers_top_first()]
    return graph.find_illegal_dependencies_for_layers(layers=layers)


def test_import_contracts_hold():
    """What `lint-imports` checks in ./dev test, inside the suite: a new cycle between apps fails here."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_layer_imports_a_layer_above(graph):
    assert _illegal(graph) == set()


def test_an_import_upwards_is_caught(graph):
    """The check can fail: organizations importing billing (which imports organizations) is a cycle."""
    graph.add_import(importer="organizations.services", imported="billing.services")
    try:
        illegal = _illegal(graph)
    finally:
        graph.remove_import(importer="organizations.services", imported="billing.services")
    assert {(d.importer, d.imported) for d in illegal} == {("organizations", "billing")}


def test_the_drawing_matches_the_contract():
    """docs/architecture.md draws the same layers, top first, as the contract checks."""
    drawing = (ROOT / "docs" / "architecture.md").read_text().split("```text", 1)[1].split("```", 1)[0]
    drawn = []
    for line in drawing.splitlines():
        if not line.startswith("│"):
            continue  # borders
        cell = line.split("│")[1].strip()  # the box; notes follow it
        if cell.startswith("("):
            continue  # the apps still planned
        drawn.append({re.sub(r"\s*\(.*\)$", "", name.strip()) for name in cell.split("|")})
    assert drawn == _layers_top_first()
