"""Precision and recall of the extraction engine on the labelled corpus (tests/corpus)."""

import json
from collections import Counter
from pathlib import Path

from repositories.extraction import extract_file

CORPUS = Path(__file__).parent / "corpus"
MIN_PRECISION = 0.98
MIN_RECALL = 0.95


def _measure():
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    expected, negatives, found = set(), set(), set()
    languages = Counter()
    for path, labels in manifest.items():
        for item in labels["sql"]:
            expected.add((path, item["line"]))
            languages[labels["language"]] += 1
        for item in labels["not_sql"]:
            negatives.add((path, item["line"]))
        result = extract_file(str(CORPUS / "src" / path), path)
        for occurrence in result.occurrences:
            found.add((path, occurrence.line))
    true_positive = found & expected
    precision = len(true_positive) / len(found) if found else 0.0
    recall = len(true_positive) / len(expected)
    return manifest, expected, negatives, found, languages, precision, recall


def test_corpus_is_large_and_varied_enough():
    manifest, expected, negatives, _, languages, _, _ = _measure()
    assert len(expected) >= 300
    assert len(negatives) >= 150
    assert len(languages) >= 8
    kinds = Counter(item["kind"] for labels in manifest.values() for item in labels["not_sql"])
    assert {"prose", "log", "jpql", "dialect"} <= set(kinds)


def test_precision_and_recall():
    _, expected, negatives, found, _, precision, recall = _measure()
    missed = sorted(expected - found)
    wrong = sorted(found - expected)
    print(
        f"\nextraction corpus: precision {precision:.4f}, recall {recall:.4f} "
        f"({len(found & expected)} of {len(expected)} SQL found; {len(wrong)} false positives; "
        f"{len(negatives & found)} of {len(negatives)} non-SQL strings reported)"
    )
    assert precision >= MIN_PRECISION, f"false positives: {wrong[:20]}"
    assert recall >= MIN_RECALL, f"missed: {missed[:20]}"
