import pytest
from django.db import connection

from audit.models import AuditEvent
from billing.models import UserPaymentDetails

pytestmark = pytest.mark.django_db

SEED_REQUEST = {"provider": "stripe", "payment_identifier": "cus_ABC123"}
SEED_RESPONSE = {"message": "Payment details saved", "data": {"provider": "stripe", "identifier": "cus_ABC123"}}


def _stored(user):
    with connection.cursor() as cursor:
        cursor.execute("SELECT provider, payment_identifier FROM user_payment_details WHERE user_id = %s", [user.pk])
        return cursor.fetchall()


def test_get_without_details_answers_null_data(member_client):
    response = member_client.get("/payment/details")
    assert response.status_code == 200
    assert response.json() == {"data": None}


def test_seed_post_body_and_answer_to_the_letter(member_client, member):
    response = member_client.post("/payment/details", SEED_REQUEST, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == SEED_RESPONSE
    assert _stored(member) == [("stripe", "cus_ABC123")]
    assert member_client.get("/payment/details/").json() == {"data": {"provider": "stripe", "identifier": "cus_ABC123"}}
    event = AuditEvent.objects.get(action="billing.payment_details_save")
    assert event.actor == member and event.metadata == {"provider": "stripe", "created": True}


def test_post_again_updates_the_one_row(member_client, member):
    member_client.post("/payment/details", SEED_REQUEST, format="json")
    response = member_client.post(
        "/payment/details", {"provider": "stripe", "payment_identifier": "cus_XYZ789"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Payment details saved",
        "data": {"provider": "stripe", "identifier": "cus_XYZ789"},
    }
    assert _stored(member) == [("stripe", "cus_XYZ789")]


def test_details_are_per_user(member_client, client_for, admin_user):
    member_client.post("/payment/details", SEED_REQUEST, format="json")
    assert client_for(admin_user).get("/payment/details").json() == {"data": None}


def test_paypal_payer_id_is_accepted(member_client):
    response = member_client.post(
        "/payment/details", {"provider": "paypal", "payment_identifier": "QYR5Z8XDVJNXQ"}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "message": "Payment details saved",
        "data": {"provider": "paypal", "identifier": "QYR5Z8XDVJNXQ"},
    }


def test_unknown_provider_is_a_clear_400(member_client, member):
    response = member_client.post(
        "/payment/details", {"provider": "bitcoin", "payment_identifier": "cus_ABC123"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_provider"
    assert "bitcoin" in body["detail"] and "stripe, paypal" in body["detail"]
    assert "provider" in body["errors"]
    assert not UserPaymentDetails.objects.exists()


@pytest.mark.parametrize(
    "identifier", ["ABC123", "cus_", "cus_ABC 123", "cus_ABC\n123", "card_123", "cus_ABC-123", "pm_123"]
)
def test_malformed_stripe_identifier_is_a_clear_400(member_client, identifier):
    response = member_client.post(
        "/payment/details", {"provider": "stripe", "payment_identifier": identifier}, format="json"
    )
    assert response.status_code == 400, identifier
    body = response.json()
    assert body["code"] in ("invalid_payment_identifier", "blank")
    assert "payment_identifier" in body["errors"]
    assert not UserPaymentDetails.objects.exists()


def test_malformed_paypal_identifier_is_refused(member_client):
    response = member_client.post(
        "/payment/details", {"provider": "paypal", "payment_identifier": "cus_ABC123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payment_identifier"


def test_bad_payment_details_an_existing_row_is_kept(member_client, member):
    member_client.post("/payment/details", SEED_REQUEST, format="json")
    member_client.post("/payment/details", {"provider": "stripe", "payment_identifier": "nope"}, format="json")
    assert _stored(member) == [("stripe", "cus_ABC123")]


def test_missing_fields_and_bad_json(member_client):
    response = member_client.post("/payment/details", {"provider": "stripe"}, format="json")
    assert response.status_code == 400
    assert "payment_identifier" in response.json()["errors"]
    response = member_client.post("/payment/details", data="{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_anonymous_gets_401(api_client):
    assert api_client.get("/payment/details").status_code == 401
    assert api_client.post("/payment/details", SEED_REQUEST, format="json").status_code == 401
