"""One guard for every path that executes user SQL: the target's catalog decides, not a list of names.

Side effects are observed, not assumed: a sequence (nextval is never rolled back) and another session
that must survive. Every function here is reached indirectly: through query_to_xml, a view, an operator,
a cast, a column default or a trigger.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from optimizer import verify
from schema_metadata import explain as explain_engine
from schema_metadata import sql_guard, target
from schema_metadata.tests.conftest import run_sql

pytestmark = pytest.mark.django_db

HIDDEN = """
CREATE SEQUENCE ticks;
CREATE FUNCTION tick() RETURNS bigint LANGUAGE sql VOLATILE AS 'SELECT nextval(''ticks'')';
CREATE FUNCTION calm(int) RETURNS int LANGUAGE sql STABLE AS 'SELECT $1 + 1';
CREATE VIEW ticking AS SELECT id, tick() AS t FROM orders;
CREATE VIEW over_ticking AS SELECT * FROM ticking;
CREATE VIEW calm_view AS SELECT id, calm(id) FROM orders WHERE status = 'paid';
CREATE FUNCTION tick_eq(int, int) RETURNS boolean LANGUAGE sql VOLATILE AS 'SELECT nextval(''ticks'') > 0';
CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = tick_eq);
CREATE DOMAIN plain_int AS int;
CREATE TYPE ticket AS (n bigint);
CREATE FUNCTION to_ticket(int) RETURNS ticket LANGUAGE sql VOLATILE AS 'SELECT ROW(nextval(''ticks''))::ticket';
CREATE CAST (int AS ticket) WITH FUNCTION to_ticket(int);
CREATE TABLE stamped (id int, n bigint DEFAULT nextval('ticks'));
CREATE TABLE watched (id int);
CREATE FUNCTION on_watch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN PERFORM nextval(''ticks''); RETURN NEW; END';
CREATE TRIGGER watch BEFORE INSERT ON watched FOR EACH ROW EXECUTE FUNCTION on_watch();
"""


@pytest.fixture
def hidden(shop_url, local_targets):
    run_sql(shop_url, HIDDEN)
    return shop_url


def _ticks(url) -> int:
    return run_sql(url, "SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM ticks")[0][0]


def _verdict(url, sql, *, read_only=True):
    with target.session(url, read_only=read_only) as conn:
        return sql_guard.execution_verdict(conn, sql)


@pytest.mark.parametrize(
    "sql, named",
    [
        ("SELECT * FROM ticking", "tick() (volatile) in view public.ticking"),
        ("SELECT count(*) FROM over_ticking", "in view public.ticking"),
        ("SELECT 1 === 2", "operator ==="),
        ("SELECT (1)::ticket", "cast to ticket"),
        ("SELECT nextval('ticks')", "nextval()"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
        ("WITH t AS (SELECT * FROM ticking) SELECT count(*) FROM t", "view public.ticking"),
        ("SELECT * FROM orders WHERE id IN (SELECT id FROM ticking)", "view public.ticking"),
    ],
)
def test_volatile_calls_however_hidden_are_refused_and_nothing_runs(hidden, sql, named):
    before = _ticks(hidden)
    verdict = _verdict(hidden, sql)
    assert not verdict.allowed and named in verdict.reason, verdict
    result = explain_engine.explain(hidden, sql, analyze=True, buffers=False)
    assert result["analyzed"] is False
    assert any("without executing it" in note and named in note for note in result["notes"]), result["notes"]
    assert _ticks(hidden) == before  # the sequence did not move: nothing was executed


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM calm_view",
        "SELECT random(), clock_timestamp(), now(), gen_random_uuid()",
        "SELECT o.id::plain_int, '3'::numeric + 1 FROM orders o WHERE o.total BETWEEN 1 AND 5 AND o.status LIKE 'p%'",
        "SELECT count(*) FROM information_schema.columns",
        "SELECT * FROM orders WHERE id = $1",
    ],
)
def test_immutable_stable_and_harmless_calls_are_executed(hidden, sql):
    assert _verdict(hidden, sql).allowed


def test_dml_is_not_executed_when_a_default_or_trigger_is_volatile(hidden):
    before = _ticks(hidden)
    for sql, named in (
        ("INSERT INTO stamped (id) VALUES (1)", "column default of public.stamped"),
        ("INSERT INTO watched VALUES (1)", "trigger watch"),
    ):
        result = explain_engine.explain(hidden, sql, analyze=True, buffers=False, allow_dml_analyze=True)
        assert result["analyzed"] is False and any(named in n for n in result["notes"]), result["notes"]
    assert _ticks(hidden) == before
    plain = explain_engine.explain(
        hidden, "UPDATE orders SET total = total + 1 WHERE id = 1", analyze=True, buffers=False, allow_dml_analyze=True
    )
    assert plain["analyzed"] is True


def test_query_to_xml_cannot_terminate_another_session(member_client, project, hidden, shop_connection):
    with psycopg.connect(hidden, autocommit=True, application_name="victim") as victim:
        pid = victim.info.backend_pid
        query = f"SELECT query_to_xml('SELECT pg_terminate_backend({pid})', true, false, '')"
        response = member_client.post("/query/explain", {"query": query, "project": project.id}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["analyzed"] is False
        assert any("query_to_xml() (volatile)" in note for note in body["summary"]["notes"]), body
        assert victim.execute("SELECT 1").fetchone() == (1,)  # still alive


def test_result_verification_uses_the_same_guard(hidden):
    before = _ticks(hidden)
    with target.session(hidden, read_only=True) as conn:
        outcome = verify.compare_results(conn, "SELECT id FROM ticking ORDER BY id", "SELECT id FROM ticking")
        calm = verify.compare_results(conn, "SELECT * FROM calm_view", "SELECT id, calm FROM calm_view")
    assert outcome.outcome == verify.UNVERIFIED and "was not executed" in outcome.reason
    assert "tick()" in outcome.reason
    assert calm.outcome == verify.SAME
    assert _ticks(hidden) == before


def test_the_optimizer_never_times_a_refused_query(admin_user, project, hidden, settings):
    from optimizer import services as optimizer_services
    from schema_metadata.models import DatabaseConnection

    DatabaseConnection.objects.create(
        project=project, name="dev", url=hidden, environment="development", is_default=True,
        read_only=False, allow_analyze=True, allow_dml_analyze=True,
    )  # fmt: skip
    run_sql(hidden, "INSERT INTO orders (customer_id, status, total) SELECT 1, 'x', g FROM generate_series(1, 20000) g")
    run_sql(hidden, "ANALYZE orders")
    settings.OPTIMIZER_MIN_TABLE_ROWS = 1
    before = _ticks(hidden)
    run = optimizer_services.optimize_query(
        user=admin_user, query="SELECT * FROM orders WHERE total = 42 AND id === 1", project_id=project.pk, use_ai=False
    )
    assert _ticks(hidden) == before
    assert run.plan_status == "planned"
    assert any("never executed" in note and "operator ===" in note for note in run.notes), run.notes


# --- row-level security policies and domain checks ------------------------------------------------------------

POLICIES_AND_DOMAINS = """
CREATE TABLE secrets (id int, owner text);
INSERT INTO secrets VALUES (1, 'a'), (2, 'b');
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY ticking_read ON secrets FOR SELECT USING (tick() > 0);
CREATE VIEW secret_ids AS SELECT id FROM secrets;
CREATE TABLE notes (id int, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY calm_read ON notes FOR SELECT USING (calm(id) > 0);
CREATE POLICY ticking_insert ON notes FOR INSERT WITH CHECK (tick() > 0);
CREATE POLICY ticking_update ON notes FOR UPDATE USING (tick() > 0);
CREATE TABLE unguarded (id int);
CREATE POLICY dormant ON unguarded USING (tick() > 0);
CREATE DOMAIN ticking_int AS int CHECK (tick() > 0);
CREATE DOMAIN ticking_again AS ticking_int;
CREATE DOMAIN calm_int AS int CHECK (calm(VALUE) > 0);
CREATE TABLE counted (id int, n ticking_int);
CREATE TABLE nested (id int, n ticking_again[]);
CREATE TABLE measured (id int, n calm_int);
"""


@pytest.fixture
def guarded(hidden):
    run_sql(hidden, POLICIES_AND_DOMAINS)
    return hidden


@pytest.mark.parametrize(
    "sql, named",
    [
        ("SELECT * FROM secrets", "tick() (volatile) in policy ticking_read on public.secrets"),
        ("SELECT count(*) FROM secret_ids", "policy ticking_read on public.secrets"),
        ("INSERT INTO notes VALUES (1, 'x')", "policy ticking_insert on public.notes"),
        ("SELECT id FROM notes FOR UPDATE", "policy ticking_update on public.notes"),
        (
            "INSERT INTO counted VALUES (1, 5)",
            "check ticking_int_check of domain ticking_int (column n of public.counted)",
        ),
        ("UPDATE counted SET n = 6", "domain ticking_int"),
        ("UPDATE nested SET n = ARRAY[1]", "domain ticking_int (column n of public.nested)"),
        ("SELECT 5::ticking_int", "domain ticking_int (a cast to ticking_int)"),
        ("SELECT CAST(5 AS ticking_again)", "domain ticking_int (a cast to ticking_again)"),
    ],
)
def test_volatile_policies_and_domain_checks_are_refused(guarded, sql, named):
    verdict = _verdict(guarded, sql, read_only=False)
    assert not verdict.allowed and named in verdict.reason, verdict


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM notes",  # its SELECT policy is stable; the volatile ones are for INSERT and UPDATE
        "SELECT * FROM unguarded",  # a policy on a table without row-level security never runs
        "INSERT INTO measured VALUES (1, 2)",
        "SELECT 3::calm_int",
        "DELETE FROM counted",  # deleting stores no value: the domain check does not run
        "SELECT id FROM counted",
    ],
)
def test_stable_policies_and_domain_checks_are_executed(guarded, sql):
    assert _verdict(guarded, sql, read_only=False).allowed


def test_a_policy_runs_its_function_for_a_role_it_applies_to_and_the_guard_stops_it(guarded):
    # The danger is real: for a role subject to row-level security the policy calls tick() per row.
    role = f"guard_reader_{uuid.uuid4().hex[:8]}"
    run_sql(
        guarded, f"CREATE ROLE {role} LOGIN; GRANT SELECT ON secrets TO {role}; GRANT USAGE ON SEQUENCE ticks TO {role}"
    )
    try:
        before = _ticks(guarded)
        with psycopg.connect(guarded, user=role) as reader:
            reader.execute("SELECT count(*) FROM secrets").fetchone()
            reader.rollback()
        assert _ticks(guarded) > before  # a rollback did not undo it
        before = _ticks(guarded)
        result = explain_engine.explain(guarded, "SELECT count(*) FROM secret_ids", analyze=True, buffers=False)
        assert result["analyzed"] is False
        assert any("policy ticking_read" in note for note in result["notes"]), result["notes"]
        assert _ticks(guarded) == before
    finally:
        run_sql(guarded, f"DROP OWNED BY {role}; DROP ROLE {role}")
