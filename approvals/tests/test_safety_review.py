"""Schema changes get a migration-safety review before anyone decides: on the proposal, its page and the API."""

import pytest

from approvals.models import Proposal
from repositories.models import ExtractedQuery, QueryOccurrence, ScanRun
from schema_metadata.services import sync_execute, sync_request

pytestmark = pytest.mark.django_db

DDL = (
    "ALTER TABLE orders DROP COLUMN total;\n"
    "ALTER TABLE orders ADD CONSTRAINT orders_c_fk FOREIGN KEY (customer_id) REFERENCES customers;"
)


@pytest.fixture
def synced(project, orders_connection):
    """The orders database synced (table sizes) and a scan that found code reading orders.total."""
    sync = sync_request(project=project, connection_id=orders_connection.pk, defer=False)
    sync_execute(sync_id=sync.pk)
    scan = ScanRun.objects.create(project=project, source="upload", status="succeeded")
    query = ExtractedQuery.objects.create(
        project=project,
        fingerprint="f1",
        normalized_text="SELECT total FROM orders WHERE id = $1",
        sql="SELECT total FROM orders WHERE id = $1",
        statement_type="select",
    )
    QueryOccurrence.objects.create(query=query, scan=scan, file_path="shop/reports.py", line=88, language="python")
    return orders_connection


def _submit(client, project, connection, sql=DDL):
    return client.post(
        "/approvals",
        {"kind": "ddl", "sql": sql, "reason": "tidy up", "project_id": project.pk, "connection_id": connection.pk},
        format="json",
    )


def test_a_ddl_proposal_carries_its_review_with_locks_sizes_and_code_readers(admin_client, project, synced):
    response = _submit(admin_client, project, synced)
    assert response.status_code == 201, response.json()
    review = response.json()["safety_review"]
    drop, fk = review["statements"]
    assert drop["lock"] == "ACCESS EXCLUSIVE" and drop["table_rows"] == 3000
    assert fk["lock"] == "SHARE ROW EXCLUSIVE" and fk["tables"] == ["orders", "customers"]
    by_rule = {f["rule"]: f for f in review["findings"]}
    assert by_rule["dropping-column"]["severity"] == "error"
    assert "shop/reports.py:88" in by_rule["dropping-column"]["message"]
    assert "NOT VALID" in by_rule["foreign-key-without-not-valid"]["safer"]
    assert "missing-lock-timeout" not in by_rule and review["worst"] == "error"
    assert Proposal.objects.get(pk=response.json()["id"]).safety_review == review


def test_a_safe_change_is_reviewed_clean(admin_client, project, synced):
    """DBooster applies it on development with lock_timeout set, so nothing is missing."""
    review = _submit(admin_client, project, synced, sql="ALTER TABLE orders ADD COLUMN note text;").json()
    assert review["safety_review"]["worst"] == "ok" and review["safety_review"]["findings"] == []
    statement = review["safety_review"]["statements"][0]
    assert statement["lock"] == "ACCESS EXCLUSIVE" and not statement["rewrites_table"]


def test_on_production_the_exported_change_must_set_lock_timeout_itself(admin_client, project, synced):
    synced.environment = "production"
    synced.save()
    review = _submit(admin_client, project, synced, sql="ALTER TABLE orders ADD COLUMN note text;").json()
    assert [f["rule"] for f in review["safety_review"]["findings"]] == ["missing-lock-timeout"]


def test_an_index_suggestion_is_reviewed_too(project, synced, make_suggestion, admin_client):
    suggestion = make_suggestion("index", "CREATE INDEX orders_status_idx ON orders (status)", connection=synced)
    response = admin_client.post("/approvals", {"suggestion_id": suggestion.pk, "reason": "x"}, format="json")
    findings = response.json()["safety_review"]["findings"]
    assert [f["rule"] for f in findings if f["severity"] == "error"] == ["require-concurrent-index-creation"]


def test_the_proposal_page_shows_the_review_and_links_each_rule(admin_client, browser_for, admin_user, project, synced):
    proposal_id = _submit(admin_client, project, synced).json()["id"]
    page = browser_for(admin_user).get(f"/app/approvals/{proposal_id}/").content.decode()
    assert "Migration safety review" in page and "SHARE ROW EXCLUSIVE" in page
    assert 'href="/app/migration-rules/dropping-column/"' in page and "shop/reports.py:88" in page


def test_rule_pages_and_json(client, api_client):
    rules = api_client.get("/migration-rules").json()
    assert len(rules) >= 25 and {"id", "title", "severity", "why", "flagged", "passes"} <= set(rules[0])
    assert rules[0]["severity"] == "error"  # most severe first
    one = api_client.get("/migration-rules/setting-column-not-null/").json()
    assert one["flagged"] == ["ALTER TABLE orders ALTER COLUMN status SET NOT NULL;"]
    assert api_client.get("/migration-rules/nope").status_code == 404
    assert f"these {len(rules)} rules" in client.get("/app/migration-rules/").content.decode()
    assert "Why it matters" in client.get("/app/migration-rules/vacuum-full/").content.decode()
    assert client.get("/app/migration-rules/nope/").status_code == 404
