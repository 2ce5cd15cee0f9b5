import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_json_404(client):
    response = client.get("/no/such/endpoint")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_page_is_an_html_404(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/app/approvals/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not found" in response.content
