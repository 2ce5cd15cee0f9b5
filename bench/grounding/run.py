"""Grounding benchmark: does the selected context hold every table a question needs, and how big is it?

    .venv/bin/python bench/grounding/run.py

Runs the question set (assistant/tests/grounding_questions.yaml: 62 questions over pagila, chinook, northwind
and the demo shop, each naming the tables a correct answer needs) through the grounding engine, first on each
schema alone, then on one 2,000-table schema holding the four (each in a schema named after it) and generated
distractor tables. Schemas are parsed from the dataset files' DDL with pglast. No model, no database.
Prints per dataset: questions, questions whose needed tables were all selected, and the average context size
beside the full schema rendered the same way (the anchor: what sending everything would cost).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.tests.evaluation import evaluate_each_dataset, evaluate_large_schema  # noqa: E402


def print_table(title: str, figures) -> None:
    print(f"\n{title}")
    header = f"{'dataset':<26} {'questions':>9} {'all needed found':>17} {'avg context':>12} {'full schema':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for f in figures:
        n = len(f.outcomes)
        print(
            f"{f.dataset:<26} {n:>9} {f.found:>7} ({100 * f.found / n:5.1f}%) {f.average_context:>10.0f} c"
            f" {f.schema_chars:>10} c {100 * f.average_context / f.schema_chars:>6.1f}%"
        )
    total = sum(len(f.outcomes) for f in figures)
    found = sum(f.found for f in figures)
    print(f"{'all':<26} {total:>9} {found:>7} ({100 * found / total:5.1f}%)")
    for f in figures:
        for o in f.outcomes:
            if o.missing:
                print(f"  missed [{f.dataset}] {o.question!r}: {', '.join(o.missing)}")


def main() -> None:
    print_table("Each schema alone", evaluate_each_dataset())
    print_table("All four in one 2,000-table schema", evaluate_large_schema())


if __name__ == "__main__":
    main()
