"""Precision and recall of the scan on a labelled random sample of each real repository.

The labels (corpora_labels/<archive>.yaml) were made by reading the code: for each archive, a random
sample of the statements the scan kept and of SQL-looking strings it did not keep, each judged
`query` (a statement this code runs or ships, that PostgreSQL's parser reads) or `not_query`.
"""

from pathlib import Path

import pytest
import yaml

from repositories.tests.corpora import ARCHIVES, LABELS

TARGET_PRECISION = 0.97
TARGET_RECALL = 0.95
# An archive measured below target gets a floor here (with why), so that a regression still fails.
FLOORS: dict[str, tuple[float, float]] = {}


def load_labels(name: str) -> list[dict]:
    return yaml.safe_load((Path(LABELS) / f"{name}.yaml").read_text())


def measure(scan, labels: list[dict]) -> tuple[float, float, list, list]:
    kept = {(occurrence.file, occurrence.line) for occurrence in scan.occurrences}
    found = [label for label in labels if (label["file"], label["line"]) in kept]
    queries = [label for label in labels if label["verdict"] == "query"]
    true = [label for label in found if label["verdict"] == "query"]
    precision = len(true) / len(found) if found else 0.0
    recall = len(true) / len(queries) if queries else 0.0
    wrong = [(label["file"], label["line"], label["reason"]) for label in found if label["verdict"] != "query"]
    missed = [(label["file"], label["line"], label["reason"]) for label in queries if label not in found]
    return precision, recall, wrong, missed


@pytest.mark.parametrize("name", ARCHIVES)
def test_labels_are_a_real_sample(name):
    labels = load_labels(name)
    assert {label["verdict"] for label in labels} <= {"query", "not_query"}
    assert all(label["reason"] for label in labels)
    assert len(labels) >= 79 and sum(label["verdict"] == "not_query" for label in labels) >= 30


@pytest.mark.parametrize("name", ARCHIVES)
def test_precision_and_recall_on_the_labelled_sample(corpora_scans, name):
    precision, recall, wrong, missed = measure(corpora_scans[name], load_labels(name))
    print(f"\n{name}: precision {precision:.3f}, recall {recall:.3f}; wrong {wrong}; missed {missed}")
    floor_precision, floor_recall = FLOORS.get(name, (TARGET_PRECISION, TARGET_RECALL))
    assert precision >= floor_precision, wrong
    assert recall >= floor_recall, missed
