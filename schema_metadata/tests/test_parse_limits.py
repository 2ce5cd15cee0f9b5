"""Untrusted SQL reaches pglast only within limits: a 52 KB `SELECT 1+1+...` used to kill the web process.

Each request runs in a forked child so that, should the limit regress, the crash shows up as this test's
failure (a signal exit code) instead of taking the test worker down.
"""

from __future__ import annotations

import json
import os

import pytest
from django.db import connections

from schema_metadata import sql_guard
from schema_metadata.tests.conftest import run_sql

HOSTILE = "SELECT " + "+".join(["1"] * 26_000)  # 52 KB, the tester's query


def _in_child(call) -> tuple[int, dict]:
    """(status, JSON body) of `call()` run in a forked child; fails if the child died of a signal."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: fresh database connections, the parent's sockets left untouched
        status = 1
        try:
            kept = [c.connection for c in connections.all()]  # never finalized: os._exit skips it
            for c in connections.all():
                c.connection = None
            response = call()
            os.write(write_end, json.dumps([response.status_code, response.json()]).encode())
            status = 0 if kept is not None else 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, wait_status = os.waitpid(pid, 0)
    assert not os.WIFSIGNALED(wait_status), f"the request killed its process (signal {os.WTERMSIG(wait_status)})"
    assert os.WEXITSTATUS(wait_status) == 0
    status, body = json.loads(b"".join(chunks))
    return status, body


def test_the_hostile_query_is_refused_before_parsing_naming_the_limit():
    with pytest.raises(sql_guard.PayloadTooLarge) as caught:
        sql_guard.parse_sql(HOSTILE)
    assert "MAX_QUERY_TOKENS" in caught.value.detail and caught.value.status_code == 413


@pytest.mark.parametrize(
    "sql, limit",
    [
        ("SELECT " + "+".join(["1"] * 9_000), "MAX_EXPRESSION_DEPTH"),  # under the token limit, too deep
        ("SELECT " + "(" * 1_500 + "1" + ")" * 1_500, "MAX_EXPRESSION_DEPTH"),
        ("SELECT " + "||".join(["'a'"] * 2_000), "MAX_EXPRESSION_DEPTH"),
        ("SELECT " + "NOT " * 3_000 + "true", "MAX_EXPRESSION_DEPTH"),
        ("SELECT 1 -- " + "x" * 100_001, "MAX_QUERY_CHARS"),
    ],
)
def test_every_deep_shape_is_refused(sql, limit):
    with pytest.raises(sql_guard.PayloadTooLarge) as caught:
        sql_guard.parse_sql(sql)
    assert limit in caught.value.detail


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 WHERE a IN (" + ",".join(f"${i}" for i in range(1, 5001)) + ")",  # ORMs' long IN lists
        "SELECT " + ", ".join(f"c{i} + c{i} * 2 - 1" for i in range(2_000)) + " FROM t",
        "SELECT 1 FROM t WHERE " + " OR ".join(f"(a = {i} AND b = {i})" for i in range(2_000)),
        "SELECT CASE " + " ".join(f"WHEN a = {i} THEN {i}" for i in range(1_000)) + " END FROM t",
    ],
)
def test_large_but_flat_queries_still_parse(sql):
    assert len(sql_guard.parse_sql(sql)) == 1


@pytest.mark.django_db(transaction=True)
def test_each_request_path_answers_413_and_keeps_serving(admin_client, project, orders_connection):
    payloads = {
        "/query/explain": {"query": HOSTILE, "project": project.pk},
        "/query/optimize": {"query": HOSTILE, "project": project.pk, "ai": False},
        "/query/workload/advise": {"project": project.pk, "queries": ["SELECT 1", HOSTILE]},
        "/approvals": {"kind": "rewrite", "sql": HOSTILE, "reason": "r", "project_id": project.pk},
    }
    for path, payload in payloads.items():
        status, body = _in_child(lambda path=path, payload=payload: admin_client.post(path, payload, format="json"))
        assert status == 413, (path, status, body)
        assert body["code"] in ("query_too_long", "query_too_complex"), (path, body)
        assert "MAX_" in body["detail"], (path, body)
    # The stored state is intact and the server still answers.
    assert run_sql(orders_connection.url, "SELECT count(*) FROM orders") == [(3000,)]
    assert (
        admin_client.post("/query/explain", {"query": "SELECT 1", "project": project.pk}, format="json").status_code
        == 200
    )
