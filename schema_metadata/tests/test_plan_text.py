"""The text-format parser against the JSON PostgreSQL printed for the same queries on pagila (15 and 18).

Both formats come from separate runs of the same statement on a warm cache (tests/plans/generate.py), so
everything but times must agree; under a Gather the split of rows between workers varies, so there the
comparison is of rows x loops.
"""

import json
from pathlib import Path

import pytest

from schema_metadata import plan, plan_text

PLANS = Path(__file__).resolve().parent / "plans"
CASES = sorted(PLANS.glob("pg*/*.txt"))
COMPARED = (
    "Node Type", "Join Type", "Strategy", "Partial Mode", "Relation Name", "Alias", "Index Name", "CTE Name",
    "Plan Rows", "Parent Relationship", "Subplan Name", "Sort Method", "Sort Space Type", "Hash Batches",
    "Original Hash Batches", "HashAgg Batches", "Rows Removed by Filter", "Shared Hit Blocks", "Shared Read Blocks",
    "Temp Read Blocks", "Temp Written Blocks", "Workers Launched", "Scan Direction", "Sort Key", "Group Key",
    "Index Cond", "Filter", "Hash Cond", "Recheck Cond", "Startup Cost", "Total Cost",
)  # fmt: skip
BLOCKS = ("Shared Hit Blocks", "Shared Read Blocks", "Temp Read Blocks", "Temp Written Blocks")


def _walk(node, parallel=False):
    yield node, parallel
    below_gather = parallel or node["Node Type"] in ("Gather", "Gather Merge")
    for child in node.get("Plans") or []:
        yield from _walk(child, below_gather)


def test_the_fixtures_cover_both_versions_and_the_hard_cases():
    names = {(case.parent.name, case.stem) for case in CASES}
    assert {version for version, _ in names} == {"pg15", "pg18"}
    assert len(names) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}-{c.stem}")
def test_text_plan_reads_as_its_json(case):
    got = plan_text.parse(case.read_text())[0]
    want = json.loads(case.with_suffix(".json").read_text())[0]
    got_nodes, want_nodes = list(_walk(got["Plan"])), list(_walk(want["Plan"]))
    assert len(got_nodes) == len(want_nodes)
    for (ours, _), (theirs, parallel) in zip(got_nodes, want_nodes, strict=True):
        for key in COMPARED:
            expected = theirs.get(key)
            if key in BLOCKS and expected == 0:
                expected = ours.get(key, 0)  # the text leaves zero counters out
            actual = ours.get(key, 0 if key in BLOCKS else None)
            if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
                assert actual == pytest.approx(expected), (theirs["Node Type"], key)
            else:
                assert actual == expected, (theirs["Node Type"], key)
        assert bool(ours.get("Parallel Aware")) == bool(theirs.get("Parallel Aware"))
        work = (
            float(ours["Actual Rows"]) * ours["Actual Loops"],
            float(theirs["Actual Rows"]) * theirs["Actual Loops"],
        )
        assert work[0] == pytest.approx(work[1])
        if not parallel:
            assert ours["Actual Loops"] == theirs["Actual Loops"]
    assert "Execution Time" in got and "Planning Time" in got


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}-{c.stem}")
def test_summary_of_text_matches_summary_of_json(case):
    """What the page shows (labels, rows, warnings) is the same for a pasted text plan as for its JSON."""
    ours = plan.summarize(plan_text.parse(case.read_text()))
    theirs = plan.summarize(json.loads(case.with_suffix(".json").read_text()))
    assert [n["label"] for n in ours["nodes"]] == [n["label"] for n in theirs["nodes"]]
    assert [n["estimated_rows"] for n in ours["nodes"]] == [n["estimated_rows"] for n in theirs["nodes"]]
    assert sorted(w["kind"] for w in ours["warnings"]) == sorted(w["kind"] for w in theirs["warnings"])


def test_io_timings_and_spills_are_read():
    sort = plan_text.parse((PLANS / "pg18" / "external_sort.txt").read_text())[0]["Plan"]
    assert sort["Sort Space Type"] == "Disk" and sort["Sort Space Used"] > 0
    assert sort["Temp I/O Read Time"] > 0 and sort["Temp I/O Write Time"] > 0
    old = plan_text.parse(
        "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) (actual time=0.1..0.2 rows=1 loops=1)\n"
        "  Buffers: shared hit=1 read=9\n  I/O Timings: read=1.250 write=0.500\n"
    )[0]["Plan"]
    assert old["I/O Read Time"] == 1.25 and old["I/O Write Time"] == 0.5 and old["Shared Read Blocks"] == 9


def test_psql_output_with_header_margin_and_row_count():
    text = """                          QUERY PLAN
--------------------------------------------------------------
 Hash Left Join  (cost=1.09..2.20 rows=5 width=8) (actual time=0.03..0.04 rows=5 loops=1)
   Hash Cond: (a.id = b.a_id)
   ->  Seq Scan on public.a a  (cost=0.00..1.05 rows=5 width=4) (actual time=0.01..0.01 rows=5 loops=1)
   ->  Hash  (cost=1.04..1.04 rows=4 width=8) (actual time=0.01..0.01 rows=4 loops=1)
         Buckets: 1024  Batches: 1  Memory Usage: 9kB
         ->  Seq Scan on "Order Lines" b  (cost=0.00..1.04 rows=4 width=8) (never executed)
 Planning Time: 0.100 ms
 Trigger for constraint b_a_fk: time=0.500 calls=4
 Execution Time: 0.200 ms
(9 rows)
"""
    parsed = plan_text.parse(text)[0]
    top = parsed["Plan"]
    assert (top["Node Type"], top["Join Type"], top["Hash Cond"]) == ("Hash Join", "Left", "(a.id = b.a_id)")
    outer, hashed = top["Plans"]
    assert (outer["Relation Name"], outer["Schema"], outer["Parent Relationship"]) == ("a", "public", "Outer")
    assert hashed["Hash Batches"] == 1 and hashed["Peak Memory Usage"] == 9
    inner = hashed["Plans"][0]
    assert inner["Relation Name"] == "Order Lines" and inner["Alias"] == "b" and inner["Actual Loops"] == 0
    assert parsed["Execution Time"] == 0.2 and parsed["Triggers"][0]["Calls"] == 4


def test_costs_off_without_analyze():
    parsed = plan_text.parse("Sort\n  Sort Key: x\n  ->  Seq Scan on t\n        Filter: (x > 1)\n")[0]["Plan"]
    assert parsed["Node Type"] == "Sort" and parsed["Sort Key"] == ["x"]
    assert parsed["Plans"][0]["Relation Name"] == "t" and parsed["Plans"][0]["Filter"] == "(x > 1)"


@pytest.mark.parametrize("text", ["", "hello world", "SELECT * FROM t", "ERROR:  syntax error at or near"])
def test_text_that_is_not_a_plan_is_refused(text):
    with pytest.raises(plan_text.PlanTextError):
        plan_text.parse(text)
