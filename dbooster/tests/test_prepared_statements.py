"""Statements run often on a connection are prepared once on the server, not parsed and planned per request."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_sign_in_query_is_prepared_after_a_few_requests(admin_client, admin_user):
    threshold = settings.DATABASES["default"].get("OPTIONS", {}).get("prepare_threshold") or 5
    for _ in range(threshold + 1):
        assert admin_client.get("/users/me").json()["id"] == admin_user.id
    sign_in = [s for s in prepared_statements() if 'FROM "users" u' in s]
    assert len(sign_in) == 1, prepared_statements()
    assert "$1" in sign_in[0]  # bound on the server: one statement for every user and session


def test_a_statement_run_once_is_not_prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int AS run_once_probe", [1])
    assert not [s for s in prepared_statements() if "run_once_probe" in s]
