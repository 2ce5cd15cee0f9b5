"""Each check against a real PostgreSQL where its condition is created on purpose, and silent where it is not."""

from __future__ import annotations

import re

import psycopg
import pytest

from approvals import applying
from health.checks import ALL_CHECKS, BY_ID
from health.engine import run_checks
from health.tests.conftest import blocked_query, execute, flush_stats
from schema_metadata import target

pytestmark = pytest.mark.django_db


def only(report, check_id):
    assert check_id in report.ran
    return [f for f in report.findings if f.check == check_id]


def assert_fix_is_proposable(finding):
    if finding.fix_kind == "index":
        applying.prepare_index(finding.fix_sql, fallback_name="x")
    else:
        applying.prepare_ddl(finding.fix_sql)


def test_there_are_at_least_twenty_checks_with_unique_ids():
    assert len(ALL_CHECKS) >= 20
    assert len(BY_ID) == len(ALL_CHECKS)
    for check in ALL_CHECKS:
        assert check.severity in ("critical", "warning", "info") and check.why and check.title


def test_duplicate_index_a_prefix_of_another(scratch_database, run_check):
    execute(
        scratch_database,
        "CREATE TABLE t (id int PRIMARY KEY, a int, b int)",
        "CREATE INDEX t_a ON t (a)",
        "CREATE INDEX t_a_b ON t (a, b)",
        "CREATE INDEX t_id_a ON t (id, a)",  # leads with the primary key's column: the key stays
        "CREATE INDEX t_b_where ON t (b) WHERE b > 0",
        "CREATE INDEX t_b ON t (b)",  # not covered by a partial index
    )
    findings = only(run_check(scratch_database, "duplicate_indexes"), "duplicate_indexes")
    assert [(f.objects[0], f.objects[1]) for f in findings] == [("public.t_a", "public.t_a_b")]
    assert findings[0].fix_sql == "DROP INDEX public.t_a;"
    assert_fix_is_proposable(findings[0])


def test_unused_index_on_a_table_that_is_read(scratch_database, run_check):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, b int)")
        conn.execute("CREATE INDEX t_b ON t (b)")
        conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 100) g")
        for i in range(120):
            conn.execute("SELECT * FROM t WHERE id = %s", [i])
        flush_stats(conn)
    findings = only(run_check(scratch_database, "unused_indexes"), "unused_indexes")
    assert [f.objects[0] for f in findings] == ["public.t_b"]  # the primary key is never reported
    assert findings[0].data["table_scans"] >= 120 and "statistics" in findings[0].detail
    assert_fix_is_proposable(findings[0])
    # A table nobody reads yet says nothing about its indexes.
    assert only(run_check(scratch_database, "unused_indexes", min_table_scans=1000), "unused_indexes") == []


def test_invalid_index_left_by_a_failed_concurrent_build(scratch_database, run_check):
    execute(scratch_database, "CREATE TABLE t (a int)", "INSERT INTO t VALUES (1), (1)")
    with psycopg.connect(scratch_database, autocommit=True) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a)")
    (finding,) = only(run_check(scratch_database, "invalid_indexes"), "invalid_indexes")
    assert finding.objects == ["public.t_a", "t"] and finding.severity == "critical"
    assert_fix_is_proposable(finding)


def test_missing_foreign_key_index_on_a_big_table(scratch_database, run_check):
    execute(
        scratch_database,
        "CREATE TABLE parent (id int PRIMARY KEY)",
        "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, small_id int REFERENCES parent)",
        "CREATE TABLE small (id int PRIMARY KEY, parent_id int REFERENCES parent)",
        "INSERT INTO parent SELECT generate_series(1, 100)",
        "INSERT INTO child SELECT g, 1 + g % 100, 1 FROM generate_series(1, 20000) g",
        "INSERT INTO small SELECT g, 1 FROM generate_series(1, 10) g",
        "CREATE INDEX child_small ON child (small_id, id)",
        "ANALYZE",
    )
    (finding,) = only(run_check(scratch_database, "missing_fk_indexes"), "missing_fk_indexes")
    assert finding.objects[0] == "child" and finding.fix_sql == "CREATE INDEX ON child (parent_id);"
    assert finding.fix_kind == "index" and finding.data["rows"] == 20000
    assert_fix_is_proposable(finding)
    execute(scratch_database, finding.fix_sql)
    assert only(run_check(scratch_database, "missing_fk_indexes"), "missing_fk_indexes") == []


def test_tables_without_primary_key(scratch_database, run_check):
    execute(
        scratch_database,
        "CREATE TABLE keyed (id int PRIMARY KEY)",
        "CREATE TABLE loose (a int)",
        "CREATE TABLE almost (code text NOT NULL)",
        "CREATE UNIQUE INDEX almost_code ON almost (code)",
    )
    findings = {
        f.objects[0]: f
        for f in only(run_check(scratch_database, "tables_without_primary_key"), "tables_without_primary_key")
    }
    assert set(findings) == {"public.loose", "public.almost"}
    assert findings["public.loose"].fix_sql == ""
    assert findings["public.almost"].fix_sql == "ALTER TABLE public.almost ADD PRIMARY KEY USING INDEX almost_code;"
    assert_fix_is_proposable(findings["public.almost"])
    execute(scratch_database, findings["public.almost"].fix_sql)
    assert [
        f.objects[0]
        for f in only(run_check(scratch_database, "tables_without_primary_key"), "tables_without_primary_key")
    ] == ["public.loose"]


QUIET_TABLE = "CREATE TABLE t (id int PRIMARY KEY, b int) WITH (autovacuum_enabled = false)"


def test_table_bloat_from_deleted_rows(scratch_database, run_check):
    execute(scratch_database, QUIET_TABLE, "INSERT INTO t SELECT g, g FROM generate_series(1, 10000) g",
            "DELETE FROM t WHERE id <= 5000")  # fmt: skip
    (finding,) = only(run_check(scratch_database, "table_bloat"), "table_bloat")
    assert finding.objects == ["public.t"] and finding.data["dead_share"] == pytest.approx(0.5, abs=0.01)
    execute(scratch_database, "VACUUM t")
    assert only(run_check(scratch_database, "table_bloat"), "table_bloat") == []


def test_index_bloat_after_deleting_most_rows(scratch_database, run_check):
    # 1,000,000 keys fill about 22 MB of B-tree; deleting nine rows in ten leaves every leaf page a tenth full,
    # and VACUUM frees no page that still holds a key. Rebuilt, the index is a tenth of that.
    execute(
        scratch_database,
        QUIET_TABLE,
        "INSERT INTO t SELECT g, g FROM generate_series(1, 1000000) g",
        "CREATE INDEX t_b ON t (b)",
        "CREATE INDEX t_b_fresh ON t (b) WHERE b % 10 = 0",  # built on the rows that stay: not bloated
        "DELETE FROM t WHERE id % 10 <> 0",
        "VACUUM ANALYZE t",
    )
    findings = {f.objects[0]: f for f in only(run_check(scratch_database, "index_bloat"), "index_bloat")}
    assert set(findings) == {"public.t_pkey", "public.t_b"}
    bloated = findings["public.t_b"]
    assert bloated.objects[1] == "t" and bloated.data["bloat_share"] > 0.8
    assert bloated.data["bloat_bytes"] > 15 * 1024 * 1024 and "REINDEX INDEX CONCURRENTLY public.t_b" in bloated.fix
    execute(scratch_database, "REINDEX INDEX t_b", "ANALYZE t")
    after = only(run_check(scratch_database, "index_bloat", min_bloat_bytes=0, min_bloat_share=0.3), "index_bloat")
    assert [f.objects[0] for f in after] == ["public.t_pkey"]  # rebuilt: its estimate matches its size again


def test_index_bloat_leaves_out_indexes_without_statistics(scratch_database, run_check):
    execute(
        scratch_database,
        QUIET_TABLE,
        "INSERT INTO t SELECT g, g FROM generate_series(1, 300000) g",
        "DELETE FROM t WHERE id % 10 <> 0",
        "VACUUM t",
    )  # fmt: skip  (no ANALYZE: no column widths)
    assert only(run_check(scratch_database, "index_bloat", min_bloat_bytes=0), "index_bloat") == []


def test_vacuum_and_analyze_overdue_after_many_changes(scratch_database, run_check):
    execute(scratch_database, QUIET_TABLE, "INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g")
    (vacuum,) = only(run_check(scratch_database, "vacuum_overdue"), "vacuum_overdue")
    (analyze,) = only(run_check(scratch_database, "analyze_overdue"), "analyze_overdue")
    assert vacuum.objects == analyze.objects == ["public.t"]
    assert "never vacuumed" in vacuum.detail and "never analyzed" in analyze.detail
    execute(scratch_database, "VACUUM ANALYZE t")
    assert only(run_check(scratch_database, "vacuum_overdue"), "vacuum_overdue") == []
    assert only(run_check(scratch_database, "analyze_overdue"), "analyze_overdue") == []


def test_high_sequential_scan_share_on_a_big_table(scratch_database, run_check):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, b int)")
        conn.execute("INSERT INTO t SELECT g, g % 7 FROM generate_series(1, 20000) g")
        conn.execute("ANALYZE t")
        for _ in range(60):
            conn.execute("SELECT count(*) FROM t WHERE b = 3")
        flush_stats(conn)
    (finding,) = only(run_check(scratch_database, "seq_scan_heavy"), "seq_scan_heavy")
    assert finding.objects == ["public.t"] and finding.data["seq_share"] > 0.9
    assert only(run_check(scratch_database, "seq_scan_heavy", min_rows=50000), "seq_scan_heavy") == []


def test_transaction_id_age(scratch_database, run_check):
    execute(scratch_database, "CREATE TABLE t (a int)", *["INSERT INTO t VALUES (1)"] * 3)
    assert only(run_check(scratch_database, "xid_wraparound"), "xid_wraparound") == []
    # Two billion transactions cannot be burnt in a test: lower the threshold to see the report's shape.
    findings = only(run_check(scratch_database, "xid_wraparound", warn_age=1), "xid_wraparound")
    assert "public.t" in [f.objects[0] for f in findings]
    assert all(f.data["xid_age"] >= 1 and f.severity == "warning" for f in findings)


def test_sequence_near_its_maximum(scratch_database, run_check):
    execute(scratch_database, "CREATE SEQUENCE low AS integer MAXVALUE 100", "SELECT setval('low', 95)",
            "CREATE SEQUENCE fine", "SELECT setval('fine', 1000)")  # fmt: skip
    (finding,) = only(run_check(scratch_database, "sequences_near_max"), "sequences_near_max")
    assert finding.objects == ["public.low"] and finding.severity == "critical"
    assert finding.fix_sql == "ALTER SEQUENCE public.low AS bigint;"
    assert_fix_is_proposable(finding)


def test_integer_key_near_its_maximum_with_a_bigint_sequence(scratch_database, run_check):
    execute(
        scratch_database,
        "CREATE SEQUENCE big AS bigint",
        "CREATE TABLE \"Keys\" (id int PRIMARY KEY DEFAULT nextval('big'))",
        'ALTER SEQUENCE big OWNED BY "Keys".id',
        "SELECT setval('big', 2000000000)",
        "CREATE TABLE fine (id serial PRIMARY KEY)",
    )
    assert only(run_check(scratch_database, "sequences_near_max"), "sequences_near_max") == []
    (finding,) = only(run_check(scratch_database, "integer_keys_near_max"), "integer_keys_near_max")
    assert finding.objects == ['"Keys".id', "public.big"] and finding.severity == "critical"
    assert finding.fix_sql == 'ALTER TABLE "Keys" ALTER COLUMN id TYPE bigint;'
    assert_fix_is_proposable(finding)


def test_connections_by_state_against_max_connections(scratch_database, run_check):
    assert only(run_check(scratch_database, "connections_usage"), "connections_usage") == []
    with psycopg.connect(scratch_database) as idle:
        idle.execute("SELECT 1")
        (finding,) = only(run_check(scratch_database, "connections_usage", warn_fraction=0), "connections_usage")
    assert finding.data["total"] >= 2 and finding.data["usable"] > 0
    assert {"active", "idle in transaction"} <= set(finding.data["by_state"])


def test_blocked_query_and_its_blocker(scratch_database, run_check):
    execute(scratch_database, "CREATE TABLE t (a int)")
    with blocked_query(scratch_database) as (holder, waiter):
        (blocked,) = only(run_check(scratch_database, "blocked_queries"), "blocked_queries")
        long_running = only(run_check(scratch_database, "long_running_queries", min_seconds=0), "long_running_queries")
        idle = only(run_check(scratch_database, "idle_in_transaction", min_seconds=0), "idle_in_transaction")
        long_tx = only(run_check(scratch_database, "long_transactions", min_seconds=0), "long_transactions")
        quiet = [
            only(run_check(scratch_database, c), c)
            for c in ("long_running_queries", "idle_in_transaction", "long_transactions")
        ]
    assert blocked.data["pid"] == waiter and blocked.data["blockers"] == [holder]
    assert f"pid {holder}" in blocked.objects and "LOCK TABLE" in blocked.detail
    assert [f.data["pid"] for f in long_running] == [waiter]
    assert [f.data["pid"] for f in idle] == [holder]
    assert {f.data["pid"] for f in long_tx} == {holder, waiter}
    assert quiet == [[], [], []]  # the default thresholds are minutes, not milliseconds


def test_settings_are_reported_never_changed(scratch_database, settings):
    settings.TARGET_ALLOW_LOCAL = True
    check = BY_ID["settings_review"]
    with target.session(scratch_database) as conn:
        findings = run_checks(conn, [check]).findings
        shown = {f.objects[0] for f in findings}
        assert "pg_stat_statements" in shown  # not installed in this database
        conn.execute("SET LOCAL work_mem = '64MB'")
        conn.execute("SET LOCAL random_page_cost = 1.1")
        conn.execute("SET LOCAL track_io_timing = on")
        after = {
            f.objects[0] for f in run_checks(conn, [check], params={check.id: {"min_shared_buffers_mb": 0}}).findings
        }
        work_mem = conn.execute("SHOW work_mem").fetchone()[0]
    assert after == {"pg_stat_statements"}
    assert work_mem == "64MB"
    assert all("never changes" in f.fix for f in findings)


def test_table_cache_hit_ratio_after_reading_from_disk(scratch_database, run_check):
    # Bigger than a quarter of shared_buffers: a sequential scan then reads through a small ring of buffers,
    # so most of its blocks come from disk and are counted as reads.
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        buffers = int(conn.execute("SELECT setting FROM pg_settings WHERE name = 'shared_buffers'").fetchone()[0])
        rows = buffers * 8192 // 2 // 500 + 20000
        # CREATE TABLE AS writes through a small ring too: most of the new pages leave shared buffers.
        conn.execute(
            "CREATE TABLE wide AS SELECT g AS id, repeat('x', 500) AS pad FROM generate_series(1, %s) g", [rows]
        )
        conn.execute("SELECT count(*) FROM wide")
        flush_stats(conn)
    (finding,) = only(run_check(scratch_database, "table_cache_hit"), "table_cache_hit")
    assert finding.objects[0] == "public.wide" and finding.data["ratio"] < 0.99


def test_index_cache_hit_ratio_after_reading_a_new_index(scratch_database, run_check):
    # A B-tree build writes its pages around shared buffers: the first scan of the index reads them from disk.
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int)")
        conn.execute("INSERT INTO t SELECT generate_series(1, 200000)")
        conn.execute("CREATE INDEX t_a ON t (a)")
        conn.execute("VACUUM ANALYZE t")
        conn.execute("SET enable_seqscan = off")
        conn.execute("SELECT count(*) FROM t WHERE a > 0")
        flush_stats(conn)
    (finding,) = only(run_check(scratch_database, "index_cache_hit"), "index_cache_hit")
    assert finding.objects[0] == "public.t_a" and finding.data["ratio"] < 0.99
    assert only(run_check(scratch_database, "index_cache_hit", min_reads=10**9), "index_cache_hit") == []


@pytest.mark.parametrize(
    ("check_id", "expected_first"),
    [("top_queries_total_time", "generate_series"), ("top_queries_mean_time", "generate_series"),
     ("top_queries_calls", "SELECT $1")],
)  # fmt: skip
def test_top_queries_from_pg_stat_statements(scratch_database, run_check, check_id, expected_first):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        for _ in range(3):
            conn.execute("SELECT count(*) FROM generate_series(1, 300000)")
        for i in range(200):
            conn.execute("SELECT %s::int", [i], prepare=False)
    report = run_check(scratch_database, check_id, min_value=0)
    findings = only(report, check_id)
    assert findings and expected_first in findings[0].detail and findings[0].data["rank"] == 1
    assert findings[0].data["queryid"]
    assert only(run_check(scratch_database, check_id), check_id) == []  # the default thresholds are far above


def test_top_queries_skip_without_the_extension(scratch_database, run_check):
    report = run_check(scratch_database, "top_queries_calls", min_value=0)
    assert report.skipped == {"top_queries_calls": "the pg_stat_statements extension is not installed"}


OBJECT_CHECKS = [c.id for c in ALL_CHECKS if c.scope == "objects"]


def _without_index_name(definition: str) -> str:
    return re.sub(r"INDEX \S+ ON", "INDEX ON", definition)


@pytest.mark.xdist_group("health_datasets")
@pytest.mark.parametrize("dataset", ["pagila", "chinook", "northwind"])
def test_silent_on_the_public_datasets(dataset, dataset_urls, settings):
    """Loaded, vacuumed and analyzed, the datasets are healthy, but for what is really wrong in them."""
    settings.TARGET_ALLOW_LOCAL = True
    with target.session(dataset_urls[dataset]) as conn:
        report = run_checks(conn, [BY_ID[c] for c in OBJECT_CHECKS])
        real = [f for f in report.findings if f.check == "duplicate_indexes"]
        identical = conn.execute(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public' "
            "GROUP BY regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON')) g"
        ).fetchone()[0]
        definitions = [
            conn.execute(
                "SELECT pg_get_indexdef(%s::regclass), pg_get_indexdef(%s::regclass)", f.objects[:2]
            ).fetchone()
            for f in real
        ]
    assert report.errors == {} and sorted([*report.ran, *report.skipped]) == sorted(OBJECT_CHECKS)
    if dataset == "pagila":
        # pagila really has them: each payment partition got an index from the partitioned table's index and an
        # identical idx_fk_* of its own. The check must name both, on the partition.
        assert len(real) == identical > 0
        assert all(f.objects[2].startswith("payment_p2022_") for f in real)
        assert all(_without_index_name(a) == _without_index_name(b) for a, b in definitions)
    others = sorted((f.check, f.objects[1]) for f in report.findings if f not in real)
    if dataset == "pagila":
        # Also real: rental (16,044 rows) references customer and staff with no index leading with either
        # column (its unique index is on rental_date, inventory_id, customer_id).
        assert others == [("missing_fk_indexes", "rental_customer_id_fkey"),
                          ("missing_fk_indexes", "rental_staff_id_fkey")]  # fmt: skip
    else:
        assert real == [] and others == []


@pytest.mark.xdist_group("health_datasets")
@pytest.mark.parametrize("dataset", ["pagila", "chinook", "northwind"])
def test_index_bloat_silent_on_the_public_datasets_at_any_size(dataset, dataset_urls, run_check):
    """Freshly loaded indexes are as big as their rows need: no estimate says 30% is free, however small."""
    report = run_check(dataset_urls[dataset], "index_bloat", min_bloat_bytes=0, min_bloat_share=0.3)
    assert only(report, "index_bloat") == []
