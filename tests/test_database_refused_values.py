"""A value PostgreSQL cannot take (a NUL character) is a 400 naming the problem, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/audit", "/audit/export.csv"])
def test_nul_character_in_a_filter_is_a_400(path, admin_client):
    response = admin_client.get(path, {"actor": "a\x00b"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_value"
    assert "cannot be used" in body["detail"]
