"""Run the question set through the grounding engine: shared by the tests and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from assistant.grounding import Table, ground, render_schema
from assistant.tests.schemas import DATASETS, QUESTIONS_FILE, dataset_tables, large_schema


@dataclass
class Outcome:
    dataset: str
    question: str
    needed: list[str]
    missing: list[str]
    context_chars: int


@dataclass
class DatasetFigures:
    dataset: str
    schema_chars: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(not o.missing for o in self.outcomes)

    @property
    def average_context(self) -> float:
        return sum(o.context_chars for o in self.outcomes) / len(self.outcomes)


def load_questions() -> dict[str, list[dict]]:
    return yaml.safe_load(QUESTIONS_FILE.read_text())


def evaluate(tables: tuple[Table, ...], dataset: str, schema: str, questions: list[dict]) -> DatasetFigures:
    figures = DatasetFigures(dataset, len(render_schema(tables)))
    for item in questions:
        result = ground(item["q"], tables)
        selected = set(result.table_names)
        needed = [f"{schema}.{name}" for name in item["needs"]]
        missing = [name for name in needed if name not in selected]
        figures.outcomes.append(Outcome(dataset, item["q"], needed, missing, len(result.context)))
    return figures


def evaluate_each_dataset() -> list[DatasetFigures]:
    questions = load_questions()
    return [evaluate(dataset_tables(d), d, "public", questions[d]) for d in DATASETS]


def evaluate_large_schema() -> list[DatasetFigures]:
    """The same questions against the 2,000-table schema, where each dataset lives in its own schema."""
    questions, tables = load_questions(), large_schema()
    return [evaluate(tables, f"{d} in 2,000 tables", d, questions[d]) for d in DATASETS]
