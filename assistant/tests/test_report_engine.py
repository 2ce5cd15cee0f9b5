"""The report engine, plain Python: sections from facts, what to do first in order, and the model's prose kept only
when every number in it is one of the facts'."""

from __future__ import annotations

import json

from assistant.report import (
    Advice,
    Growth,
    HealthFinding,
    ReportFacts,
    SlowQuery,
    TableSize,
    build_report,
    numbers_in,
)


def facts(**overrides) -> ReportFacts:
    base = ReportFacts(
        project="Shop",
        database="shop-db",
        measured_at="2026-12-01T10:00+00:00",
        database_bytes=734_003_200,
        largest_tables=[TableSize("public.orders", 512_000_000, 1_000_000), TableSize("public.customers", 9_000_000)],
        health_checked_at="2026-12-01T09:00+00:00",
        health_findings=[
            HealthFinding("unused_indexes", "warning", "Unused index", "orders_note_idx was never scanned"),
            HealthFinding(
                "xid_wraparound", "critical", "Transaction ID wraparound near", "age 1,800,000,000", "VACUUM FREEZE"
            ),
        ],
        queries_source="pg_stat_statements",
        slow_queries=[
            SlowQuery(
                "SELECT * FROM orders WHERE status = $1",
                mean_ms=412.5,
                calls=1200,
                total_ms=495_000.0,
                share=0.61,
                advice=[Advice("Index orders (status)", "CREATE INDEX ON orders (status)", speedup=38.2)],
            ),
            SlowQuery("SELECT count(*) FROM customers", mean_ms=80.0, calls=10, total_ms=800.0, share=0.01),
        ],
    )
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def all_numbers_are_facts(report) -> None:
    for section in report.sections:
        allowed = numbers_in(json.dumps(section.facts)) | numbers_in(section.template_prose)
        assert numbers_in(section.prose) <= allowed, (section.key, section.prose)


def test_without_a_model_the_templates_write_every_section_from_the_facts():
    report = build_report(facts())
    assert report.written_by == "templates"
    assert [s.key for s in report.sections] == ["size", "health", "queries", "first"]
    size, health, queries, first = report.sections
    assert size.prose.startswith("shop-db takes 700.0 MB")
    assert "public.orders with 488.3 MB and about 1,000,000 rows" in size.prose
    assert "Growth is not available: no size history yet." in size.prose
    assert "2 findings: 1 critical, 1 warning and 0 info" in health.prose
    assert "412.5 ms on average over 1,200 calls" in queries.prose
    assert queries.facts["queries"][0]["share_of_time"] == "61.0%"
    assert first.prose.startswith("Start with Transaction ID wraparound near")
    all_numbers_are_facts(report)


def test_what_to_do_first_puts_critical_findings_then_measured_advice_then_warnings():
    report = build_report(facts())
    titles = [p.title for p in report.priorities]
    assert titles == [
        "Transaction ID wraparound near",
        "Speed up SELECT * FROM orders WHERE status = $1",
        "Unused index",
    ]
    assert [p.rank for p in report.priorities] == [1, 2, 3]
    assert "measured 38.2x faster" in report.priorities[1].why
    assert report.priorities[1].sql == "CREATE INDEX ON orders (status)"


def test_growth_is_reported_from_the_snapshots_given():
    growth = Growth("2026-11-01", "2026-12-01", 600_000_000, 734_003_200, [TableSize("public.orders", 120_000_000)])
    size = build_report(facts(growth=growth)).sections[0]
    assert "From 2026-11-01 to 2026-12-01 it grew by 127.8 MB (572.2 MB to 700.0 MB)." in size.prose
    assert size.facts["growth"]["tables"] == [{"table": "public.orders", "change": "114.4 MB"}]


def test_no_history_says_why_instead_of_inventing_growth():
    size = build_report(facts(growth_unavailable="fewer than two snapshots")).sections[0]
    assert size.facts["growth"] == {"available": False, "reason": "fewer than two snapshots"}
    assert "grew" not in size.prose


def _writer(texts: dict):
    calls = []

    def write(system, user):
        calls.append((system, json.loads(user)))
        return json.dumps(texts)

    write.calls = calls
    return write


def test_the_models_prose_is_kept_when_its_numbers_are_the_facts():
    write = _writer(
        {
            "size": "At 700.0 MB, shop-db is dominated by public.orders (488.3 MB).",
            "health": "One finding is critical: transaction IDs are near wraparound at age 1,800,000,000.",
            "queries": "The worst query averages 412.5 ms across 1,200 calls, 61.0% of all time.",
            "first": "Freeze first; then index orders by status, measured 38.2x faster.",
        }
    )
    report = build_report(facts(), write=write)
    assert report.written_by == "model"
    assert all(s.prose_source == "model" for s in report.sections), [s.rejected for s in report.sections]
    all_numbers_are_facts(report)
    [(system, sent)] = write.calls
    assert "Use only numbers that appear in the facts" in system
    assert [s["key"] for s in sent["sections"]] == ["size", "health", "queries", "first"]


def test_prose_with_a_number_of_its_own_is_rejected_and_the_template_used():
    write = _writer(
        {
            "size": "shop-db takes 700.0 MB and grows about 5 GB a month.",  # 5: invented
            "queries": "Indexing would save 99.9% of the time.",  # computed
            "health": "Nothing critical.",
            "first": "Start with the freeze.",
        }
    )
    report = build_report(facts(), write=write)
    size, health, queries, first = report.sections
    assert size.prose_source == "template" and size.prose == size.template_prose
    assert size.rejected == "the model wrote numbers that are not among the facts (5)"
    assert queries.prose_source == "template" and "99.9" in queries.rejected
    assert health.prose == "Nothing critical." and first.prose_source == "model"
    all_numbers_are_facts(report)


def test_a_failing_or_malformed_model_leaves_the_templates():
    def broken(system, user):
        raise RuntimeError("The AI model did not answer within 30 s.")

    report = build_report(facts(), write=broken)
    assert report.written_by == "templates"
    assert report.notes == [
        "The model could not write the prose (The AI model did not answer within 30 s.); the templates wrote it."
    ]
    report = build_report(facts(), write=lambda s, u: "Here is your report: the database is fine.")
    assert report.written_by == "templates" and "not a JSON object" in report.notes[0]
    report = build_report(facts(), write=lambda s, u: json.dumps({"size": "", "health": 3}))
    assert report.written_by == "templates"
    assert report.sections[1].rejected == "the model wrote no text for this section"


def test_an_empty_database_still_gets_a_report():
    empty = ReportFacts(project="P", database="d", measured_at="", queries_unavailable="pg_stat_statements is off")
    report = build_report(empty)
    assert report.sections[0].prose.startswith("The size of d could not be read.")
    assert report.sections[2].prose == "No slow query can be shown: pg_stat_statements is off."
    assert [p.title for p in report.priorities] == ["Run the health checks"]


def test_findings_of_one_check_are_one_step_and_leave_room_for_the_queries():
    duplicates = [
        HealthFinding("duplicate_indexes", "warning", "Duplicate index", f"idx_{i} is covered", "Drop it",
                      f"DROP INDEX idx_{i};")
        for i in range(6)
    ]  # fmt: skip
    steps = build_report(facts(health_findings=duplicates)).priorities
    assert [s.title for s in steps] == ["Speed up SELECT * FROM orders WHERE status = $1", "Duplicate index (6 found)"]
    assert steps[1].sql.splitlines() == [f"DROP INDEX idx_{i};" for i in range(5)]
