"""The plan view on real plans: hotspots, per-node figures, comparisons, and pasting a plan (API and page)."""

import json
from pathlib import Path

import pytest

from schema_metadata import plan, plan_insights, plan_text

PLANS = Path(__file__).resolve().parent / "plans"


def _summary(version: str, name: str) -> dict:
    return plan.summarize(json.loads((PLANS / version / f"{name}.json").read_text()))


@pytest.mark.parametrize("case", sorted(PLANS.glob("pg*/*.json")), ids=lambda c: f"{c.parent.name}-{c.stem}")
def test_hotspots_rank_the_slowest_nodes_first_with_advice(case):
    summary = plan.summarize(json.loads(case.read_text()))
    spots = plan_insights.hotspots(summary)
    assert spots, "every plan has a slowest node"
    shares = [spot["share"] for spot in spots]
    assert shares == sorted(shares, reverse=True)
    slowest = max(summary["nodes"], key=lambda node: node["time_share"] or 0)
    assert spots[0]["node_id"] == slowest["id"]
    assert all(spot["advice"] and all(isinstance(line, str) and line for line in spot["advice"]) for spot in spots)


def test_nodes_carry_inclusive_time_misestimate_and_io():
    summary = _summary("pg18", "subplan")
    scan = summary["nodes"][0]
    assert scan["inclusive_ms"] >= scan["exclusive_ms"] > 0
    assert scan["io_ms"] is not None and scan["io_ms"]["read"] >= 0
    assert all(node["misestimate"]["factor"] >= 1 for node in summary["nodes"] if node["misestimate"])
    never = _summary("pg18", "never_executed")
    assert [node["never_executed"] for node in never["nodes"]].count(True) == 2


def test_a_sequential_scan_with_a_filter_is_told_to_get_an_index():
    summary = _summary("pg18", "left_join_filter")
    scan = next(node for node in summary["nodes"] if node["node_type"] == "Seq Scan" and node["relation"] == "film")
    assert any("index" in line for line in plan_insights.advice(scan))


def test_two_servers_plans_of_one_query_pair_step_by_step():
    comparison = plan_insights.compare(_summary("pg15", "join_group_sort"), _summary("pg18", "join_group_sort"))
    assert comparison["same_shape"]
    assert all(row["before"]["label"] == row["after"]["label"] for row in comparison["rows"])
    assert comparison["totals"]["execution_ms"]["speedup"] > 0


def test_a_scan_replaced_by_an_index_scan_is_paired_with_it():
    before = plan.summarize(
        plan_text.parse(
            "Limit  (cost=0.00..10.00 rows=20 width=8) (actual time=0.1..9.0 rows=20 loops=1)\n"
            "  ->  Seq Scan on orders  (cost=0.00..2000.00 rows=300 width=8) (actual time=0.1..8.9 rows=20 loops=1)\n"
            "        Filter: (status = 'pending'::text)\n"
            "        Rows Removed by Filter: 30000\n"
            "Execution Time: 9.100 ms\n"
        )
    )
    after = plan.summarize(
        plan_text.parse(
            "Limit  (cost=0.29..1.44 rows=20 width=8) (actual time=0.01..0.03 rows=20 loops=1)\n"
            "  ->  Index Scan using orders_pending on orders  (cost=0.29..27.16 rows=459 width=8) "
            "(actual time=0.01..0.02 rows=20 loops=1)\n"
            "Execution Time: 0.050 ms\n"
        )
    )
    comparison = plan_insights.compare(before, after)
    assert [row["change"] for row in comparison["rows"]] == ["same", "changed"]
    assert comparison["rows"][1]["delta_ms"] < 0
    assert comparison["totals"]["execution_ms"]["speedup"] == pytest.approx(182.0)
    assert not comparison["same_shape"]


# --- pasting a plan: API and page ------------------------------------------------------------------


@pytest.mark.django_db
def test_pasted_text_plan_is_analysed_without_a_connection(viewer_client):
    text = (PLANS / "pg18" / "external_sort.txt").read_text()
    response = viewer_client.post("/query/plan/analyze", {"plan": text}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["plan"][0]["Plan"]["Node Type"] == "Sort"
    assert {warning["kind"] for warning in body["summary"]["warnings"]} == {"sort_spill"}
    assert body["hotspots"][0]["label"]


@pytest.mark.django_db
def test_pasted_json_plan_as_text_or_value(viewer_client):
    value = json.loads((PLANS / "pg15" / "hash_batches.json").read_text())
    for payload in (value, json.dumps(value)):
        response = viewer_client.post("/query/plan/analyze", {"plan": payload}, format="json")
        assert response.status_code == 200, response.content
        assert any(w["kind"] == "hash_spill" for w in response.json()["summary"]["warnings"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "plan_value", ["", "SELECT 1", '{"Plan": ', {"no": "plan"}, [], [{"Plan": "x"}], "ERROR:  syntax error"]
)
def test_what_is_not_a_plan_is_a_clear_400(viewer_client, plan_value):
    response = viewer_client.post("/query/plan/analyze", {"plan": plan_value}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] and body["code"] in ("invalid_plan", "invalid")


@pytest.mark.django_db
def test_compare_two_pasted_plans(viewer_client):
    before = (PLANS / "pg15" / "join_group_sort.txt").read_text()
    after = (PLANS / "pg18" / "join_group_sort.json").read_text()
    response = viewer_client.post("/query/plan/compare", {"before": before, "after": after}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["same_shape"] is True


@pytest.mark.django_db
def test_paste_page_draws_the_plan_and_the_comparison(browser_for, viewer):
    browser = browser_for(viewer)
    assert browser.get("/app/plans/").status_code == 200
    html = browser.post(
        "/app/plans/",
        {
            "plan": (PLANS / "pg18" / "parallel_agg.txt").read_text(),
            "compare_with": (PLANS / "pg15" / "parallel_agg.txt").read_text(),
        },
    ).content.decode()
    assert "Where the time goes" in html and 'class="plan-tree"' in html and "compare-nodes" in html
    assert "Copy JSON" in html
    refused = browser.post("/app/plans/", {"plan": "hello"})
    assert refused.status_code == 400 and "No plan node found" in refused.content.decode()
