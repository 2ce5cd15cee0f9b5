"""Receiving webhooks: signature, storage once by id, queueing. Processing is in test_webhook_processing."""

import json
import time

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from billing.models import WebhookEvent
from billing.tests.conftest import sign, stripe_event, subscription_object

pytestmark = pytest.mark.django_db


def _event():
    return stripe_event("customer.subscription.updated", subscription_object("sub_R1", "cus_R1"))


def _jobs():
    return ProcrastinateJob.objects.filter(task_name="billing.process_stripe_event")


def test_valid_signature_stores_the_event_and_queues_it(fake_stripe, post_webhook):
    event = _event()
    response = post_webhook(event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.type, stored.status) == (event["id"], event["type"], "pending")
    assert stored.payload == event
    assert int(stored.stripe_created.timestamp()) == event["created"]
    (job,) = _jobs()
    assert job.args == {"event_pk": stored.pk} and job.queue_name == "billing"


def test_replay_is_stored_once_and_queued_once(fake_stripe, post_webhook):
    event = _event()
    post_webhook(event)
    response = post_webhook(event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": True}
    assert WebhookEvent.objects.count() == 1
    assert _jobs().count() == 1


def test_tampered_payload_is_400_and_nothing_changes(fake_stripe, post_webhook):
    response = post_webhook(_event(), tamper=True)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert "signature" in response.json()["detail"].lower()
    assert not WebhookEvent.objects.exists() and not _jobs().exists()


def test_wrong_secret_is_400(fake_stripe, post_webhook):
    response = post_webhook(_event(), secret="whsec_someone_else")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert not WebhookEvent.objects.exists()


def test_old_signature_is_400(fake_stripe, post_webhook):
    response = post_webhook(_event(), timestamp=int(time.time()) - 600)
    assert response.status_code == 400
    assert "tolerance" in response.json()["detail"].lower()
    assert not WebhookEvent.objects.exists()


def test_missing_signature_is_400(fake_stripe, api_client):
    response = api_client.post("/billing/webhook", data=json.dumps(_event()), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"


@pytest.mark.parametrize("payload", [b"not json at all", b"[1, 2]", b'{"id": "evt_1", "type": "x"}', b'{"id": 5}'])
def test_signed_garbage_is_400_not_500(fake_stripe, api_client, payload):
    response = api_client.post(
        "/billing/webhook", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert response.status_code == 400
    assert response.json()["code"] in ("bad_payload", "bad_signature")
    assert not WebhookEvent.objects.exists()


def test_webhook_without_configured_secret_is_503(fake_stripe, settings, post_webhook):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_webhook(_event())
    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()
