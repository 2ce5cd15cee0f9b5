"""The plan analyser on plans PostgreSQL really produced, plus exact arithmetic on a small one."""

import json
import re
from pathlib import Path

import psycopg
import pytest

from schema_metadata.plan import summarize


def _plan(url, query, *settings):
    with psycopg.connect(url) as conn:
        for setting in settings:
            conn.execute(setting)
        plan = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query}").fetchone()[0]
        conn.rollback()
    return plan


def _kinds(summary):
    return [(w["kind"], summary["nodes"][w["node_id"]]["node_type"]) for w in summary["warnings"]]


def test_exclusive_time_and_shares():
    plan = [
        {
            "Plan": {
                "Node Type": "Hash Join", "Total Cost": 100.0, "Plan Rows": 10, "Actual Rows": 10,
                "Actual Total Time": 10.0, "Actual Loops": 1, "Hash Cond": "(a.id = b.a_id)",
                "Plans": [
                    {"Node Type": "Seq Scan", "Relation Name": "b", "Alias": "b", "Total Cost": 50.0,
                     "Plan Rows": 100, "Actual Rows": 100, "Actual Total Time": 4.0, "Actual Loops": 1},
                    {"Node Type": "Hash", "Total Cost": 20.0, "Plan Rows": 5, "Actual Rows": 5,
                     "Actual Total Time": 1.0, "Actual Loops": 2,
                     "Plans": [{"Node Type": "Index Scan", "Relation Name": "a", "Alias": "a", "Index Name": "a_pkey",
                                "Total Cost": 10.0, "Plan Rows": 5, "Actual Rows": 5, "Actual Total Time": 0.5,
                                "Actual Loops": 2}]},
                ],
            },
            "Planning Time": 0.5,
            "Execution Time": 10.0,
        }
    ]  # fmt: skip
    summary = summarize(plan)
    nodes = summary["nodes"]
    assert [n["label"] for n in nodes] == ["Hash Join", "Seq Scan on b", "Hash", "Index Scan using a_pkey on a"]
    assert [n["depth"] for n in nodes] == [0, 1, 1, 2] and [n["parent_id"] for n in nodes] == [None, 0, 0, 2]
    # Loops multiply: the hash took 2 x 1.0 ms, of which its child 2 x 0.5 ms.
    assert [n["exclusive_ms"] for n in nodes] == [4.0, 4.0, 1.0, 1.0]
    assert [n["time_share"] for n in nodes] == [0.4, 0.4, 0.1, 0.1]
    assert summary["planning_ms"] == 0.5 and summary["execution_ms"] == 10.0 and summary["total_cost"] == 100.0
    assert summary["warnings"] == []


def test_plain_explain_has_no_times():
    summary = summarize([{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 5, "Plan Rows": 3}}])
    assert summary["analyzed"] is False and summary["nodes"][0]["time_share"] is None


def test_not_a_plan():
    with pytest.raises(ValueError):
        summarize({"rows": []})


@pytest.fixture(scope="module")
def big_url(django_db_blocker):
    """One database for the module: a 200,000-row table the planner misjudges on purpose."""
    import uuid

    from conftest import _admin_conninfo, url_for_database

    name = f"scratch_plan_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_for_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE big (id int PRIMARY KEY, a int, b int, payload text);
            INSERT INTO big SELECT g, g % 100, g % 100, md5(g::text) FROM generate_series(1, 200000) g;
            CREATE TABLE small (id int PRIMARY KEY, big_id int);
            INSERT INTO small SELECT g, g * 7 FROM generate_series(1, 5000) g;
            ANALYZE;
            """
        )
    yield url
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_seq_scan_filtering_most_rows(big_url):
    summary = summarize(
        _plan(big_url, "SELECT * FROM big WHERE payload LIKE 'abc%'", "SET max_parallel_workers_per_gather = 0")
    )
    assert ("seq_scan_filter", "Seq Scan") in _kinds(summary)


def test_small_filtered_scans_are_not_flagged(big_url):
    summary = summarize(_plan(big_url, "SELECT * FROM small WHERE big_id = 7"))
    assert "seq_scan_filter" not in [k for k, _ in _kinds(summary)]


def test_row_misestimate(big_url):
    # a and b are perfectly correlated: the planner multiplies 1% by 1% and expects 20 rows, not 2,000.
    summary = summarize(
        _plan(big_url, "SELECT * FROM big WHERE a = 1 AND b = 1", "SET max_parallel_workers_per_gather = 0")
    )
    warning = next(w for w in summary["warnings"] if w["kind"] == "row_misestimate")
    assert warning["actual_rows"] == 2000 and warning["estimated_rows"] < 200
    assert "CREATE STATISTICS" in warning["message"]


def test_sort_spilling_to_disk(big_url):
    summary = summarize(_plan(big_url, "SELECT * FROM big ORDER BY payload", "SET work_mem = '64kB'"))
    assert ("sort_spill", "Sort") in _kinds(summary)
    assert summary["nodes"][0]["buffers"].get("Temp Written Blocks", 0) > 0


def test_hash_spilling_to_disk(big_url):
    summary = summarize(
        _plan(
            big_url,
            "SELECT * FROM big x JOIN big y ON x.payload = y.payload",
            "SET work_mem = '64kB'",
            "SET enable_mergejoin = off",
            "SET max_parallel_workers_per_gather = 0",
        )
    )
    assert ("hash_spill", "Hash") in _kinds(summary)


def test_nested_loop_with_many_loops(big_url):
    summary = summarize(
        _plan(
            big_url,
            "SELECT * FROM small s JOIN big b ON b.id = s.big_id",
            "SET enable_hashjoin = off",
            "SET enable_mergejoin = off",
            "SET max_parallel_workers_per_gather = 0",
        )
    )
    warning = next(w for w in summary["warnings"] if w["kind"] == "nested_loop_loops")
    assert warning["loops"] >= 1000 and summary["nodes"][warning["node_id"]]["node_type"] == "Nested Loop"


def test_unindexed_foreign_key_needs_the_schema(big_url):
    plan = _plan(big_url, "SELECT * FROM small s JOIN big b ON s.big_id = b.id WHERE b.a = 3")
    assert "unindexed_foreign_key" not in [k for k, _ in _kinds(summarize(plan))]
    fks = [{"table": "small", "columns": ["big_id"], "referred_table": "big", "has_index": False}]
    flagged = summarize(plan, foreign_keys=fks)
    assert "unindexed_foreign_key" in [k for k, _ in _kinds(flagged)]
    fks[0]["has_index"] = True
    assert "unindexed_foreign_key" not in [k for k, _ in _kinds(summarize(plan, foreign_keys=fks))]


def test_plain_explain_uses_synced_row_counts(big_url):
    with psycopg.connect(big_url) as conn:
        plan = conn.execute("EXPLAIN (FORMAT JSON) SELECT * FROM big WHERE a = 5").fetchone()[0]
    assert summarize(plan)["warnings"] == []
    flagged = summarize(plan, table_rows={"big": 200000})
    assert [w["kind"] for w in flagged["warnings"]] == ["seq_scan_filter"]


# --- parallel plans: loops run side by side must not be added up -------------------------------------

PLANS = Path(__file__).parent / "plans"
PARALLEL = (
    "SET parallel_setup_cost = 0",
    "SET parallel_tuple_cost = 0",
    "SET min_parallel_table_scan_size = 0",
    "SET max_parallel_workers_per_gather = 2",
)


def _recorded(name):
    return json.loads((PLANS / name).read_text())


def _assert_shares_add_up(summary, tolerance=0.02):
    shares = [n["time_share"] for n in summary["nodes"]]
    assert all(0 <= s <= 1 for s in shares), shares
    # Over-counted loops push the sum far over 1; per-loop times rounded to the microsecond move it a little.
    assert sum(shares) == pytest.approx(1.0, abs=tolerance), shares
    total = max(summary["execution_ms"], summary["nodes"][0]["inclusive_ms"])
    assert all(n["inclusive_ms"] <= total for n in summary["nodes"])


# PostgreSQL prints each node's per-loop time rounded to the microsecond (0.001 ms), and the summary rounds its
# times to the microsecond again: the only slack the checks below allow.
PRINT_ROUNDING_MS = 0.0005


def _rounding_ms(node) -> float:
    """The most a node's computed inclusive time can be off from what PostgreSQL measured, by rounding alone."""
    return PRINT_ROUNDING_MS * (node["loops"] or 1) / (node["parallel_processes"] or 1) + PRINT_ROUNDING_MS


def _assert_times_nest(summary):
    """Timing checks that hold however busy the machine is.

    PostgreSQL times a node around each call to it, and its children are called inside those calls, so a
    child's time (per process, below a Gather) lies within its parent's whatever the load: the child never
    exceeds the parent, and the exclusive times add up to the top node's inclusive time, both up to the
    rounding of printed per-loop averages. A plan that counts parallel loops several times breaks both by far
    more than that. (What load does change is the time outside every node, executor start-up and shutdown, so
    the shares of Execution Time may sum to well under 1 on a busy machine: that is not checked.)
    """
    nodes = summary["nodes"]
    by_id = {n["id"]: n for n in nodes}
    for node in nodes[1:]:
        parent = by_id[node["parent_id"]]
        slack = _rounding_ms(node) + _rounding_ms(parent)
        assert node["inclusive_ms"] <= parent["inclusive_ms"] + slack, (node["label"], parent["label"])
    total_slack = 2 * sum(_rounding_ms(n) for n in nodes)
    exclusive = sum(n["exclusive_ms"] for n in nodes)
    assert exclusive == pytest.approx(nodes[0]["inclusive_ms"], abs=total_slack), (exclusive, total_slack)
    shares = [n["time_share"] for n in nodes]
    assert all(0 <= s <= 1 for s in shares), shares
    total = max(summary["execution_ms"], nodes[0]["inclusive_ms"])
    assert sum(shares) <= 1 + total_slack / total + 0.0001 * len(nodes), shares


def test_recorded_parallel_seq_scan_is_not_counted_three_times():
    # PostgreSQL 18, the seed's query on the 1M-order demo shop: Gather over a Parallel Seq Scan, 2 workers.
    summary = summarize(_recorded("parallel_seq_scan_pg18.json"))
    gather, scan = summary["nodes"]
    assert scan["label"] == "Parallel Seq Scan on orders" and scan["loops"] == 3 and scan["parallel_processes"] == 3
    # 77.964 ms per process, run by three processes at once: 77.964 ms of wall time, not 234.
    assert scan["inclusive_ms"] == pytest.approx(77.964) and scan["time_share"] == pytest.approx(0.8752, abs=1e-3)
    assert gather["exclusive_ms"] == pytest.approx(88.522 - 77.964) and gather["parallel_processes"] is None
    _assert_shares_add_up(summary)
    _assert_times_nest(summary)
    # Rows are per loop too, and those do add up: the warning counts every row of the table.
    warning = summary["warnings"][0]
    # (PostgreSQL rounds the per-loop averages, so the total is off by one.)
    assert warning["kind"] == "seq_scan_filter" and re.search(
        r"read 1,000,00\d rows and kept 14,954", warning["message"]
    )


def test_recorded_parallel_nested_loop_divides_by_processes_and_multiplies_by_loops():
    summary = summarize(_recorded("parallel_nested_loop_pg18.json"))
    labels = [n["label"] for n in summary["nodes"]]
    assert labels == [
        "Finalize Aggregate",
        "Gather",
        "Partial Aggregate",
        "Nested Loop",
        "Parallel Seq Scan on customers c",
        "Index Only Scan using orders_pkey on orders o",
    ]
    inner = summary["nodes"][5]
    # 10,000 lookups of 0.008 ms shared by three processes: 26.7 ms of wall time, not 80.
    assert inner["loops"] == 10000 and inner["inclusive_ms"] == pytest.approx(0.008 * 10000 / 3, rel=1e-3)
    assert summary["nodes"][1]["exclusive_ms"] > 0
    _assert_shares_add_up(summary)
    _assert_times_nest(summary)


def test_the_nesting_check_catches_loops_counted_once_per_process(monkeypatch):
    # The bug the live checks guard against: parallel loops added up as if they ran one after the other.
    from schema_metadata import plan

    monkeypatch.setattr(plan, "_processes", lambda node, parent, inherited: 1.0)
    with pytest.raises(AssertionError):
        _assert_times_nest(summarize(_recorded("parallel_nested_loop_pg18.json")))


def test_live_parallel_plan_shares_add_up(big_url):
    plan = _plan(big_url, "SELECT * FROM big WHERE payload LIKE 'abc%'", *PARALLEL)
    top = plan[0]["Plan"]
    if top.get("Workers Launched", 0) == 0:
        pytest.skip("the server had no free parallel worker for this run")
    summary = summarize(plan)
    gather, scan = summary["nodes"]
    assert gather["node_type"] == "Gather" and scan["label"] == "Parallel Seq Scan on big"
    assert scan["parallel_processes"] == scan["loops"] > 1
    assert gather["exclusive_ms"] >= 0
    _assert_times_nest(summary)


def test_live_parallel_nested_loop(big_url):
    plan = _plan(
        big_url,
        "SELECT count(*) FROM small s JOIN big b ON b.id = s.big_id",
        *PARALLEL,
        "SET enable_hashjoin = off",
        "SET enable_mergejoin = off",
    )
    summary = summarize(plan)
    gather = next(n for n in summary["nodes"] if n["node_type"] == "Gather")
    if plan[0]["Plan"]["Plans"][0].get("Workers Launched", 0) == 0:
        pytest.skip("the server had no free parallel worker for this run")
    inner = next(n for n in summary["nodes"] if n["relation"] == "big")
    assert inner["loops"] >= 4000 and inner["parallel_processes"] and gather["id"] < inner["id"]
    _assert_times_nest(summary)


def test_live_nested_loop_without_parallelism_still_multiplies(big_url):
    plan = _plan(
        big_url,
        "SELECT * FROM small s JOIN big b ON b.id = s.big_id",
        "SET enable_hashjoin = off",
        "SET enable_mergejoin = off",
        "SET max_parallel_workers_per_gather = 0",
    )
    summary = summarize(plan)
    raw_inner = plan[0]["Plan"]["Plans"][1]
    inner = summary["nodes"][2]
    assert inner["relation"] == "big" and inner["loops"] == 5000 and inner["parallel_processes"] is None
    # Arithmetic on the numbers PostgreSQL printed: exact whatever the load.
    assert inner["inclusive_ms"] == pytest.approx(raw_inner["Actual Total Time"] * 5000, abs=0.01)
    _assert_times_nest(summary)


def test_plan_tree_says_parallel():
    from django.template.loader import render_to_string

    from schema_metadata.views import plan_rows

    rows = plan_rows(summarize(_recorded("parallel_seq_scan_pg18.json")))
    html = render_to_string("schema_metadata/_plan_tree.html", {"rows": rows})
    assert "parallel: 3 processes, 3 loops in all" in html
    widths = [float(w) for w in re.findall(r'<span style="width: ([\d.]+)%"></span>', html)]
    assert widths == [11.8, 87.5]
