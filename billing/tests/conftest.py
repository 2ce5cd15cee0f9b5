"""A fake Stripe API on 127.0.0.1 for the real stripe SDK, and webhook signing the way Stripe signs.

The fake answers the few endpoints DBooster calls with Stripe-shaped JSON, records every request (path,
form parameters, headers) so tests can check what we sent, and can be told to fail the next N calls.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

WEBHOOK_SECRET = "whsec_test_" + "s3cr3t" * 4
PRICE_PRO = "price_pro_test"
PRICE_TEAM = "price_team_test"


class FakeStripe:
    def __init__(self):
        self.requests: list[dict] = []
        self.subscriptions: dict[str, dict] = {}
        self.fail: dict[str, int] = {}  # path prefix -> how many more calls answer 500
        self._ids = itertools.count(1)
        self.base = ""

    def calls(self, method: str, path: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]

    def answer(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        for prefix, left in self.fail.items():
            if left > 0 and path.startswith(prefix):
                self.fail[prefix] = left - 1
                return 500, {"error": {"type": "api_error", "message": "Fake Stripe is having a bad day."}}
        n = next(self._ids)
        if method == "POST" and path == "/v1/customers":
            metadata = {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")}
            return 200, {
                "id": f"cus_Fake{n}",
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": metadata,
                "livemode": False,
            }
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, {
                "id": f"cs_test_{n}",
                "object": "checkout.session",
                "mode": params.get("mode"),
                "customer": params.get("customer"),
                "status": "open",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
            }
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return 200, {
                "id": f"bps_{n}",
                "object": "billing_portal.session",
                "customer": params.get("customer"),
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/test_{n}",
            }
        if method == "GET" and path.startswith("/v1/subscriptions/"):
            sub = self.subscriptions.get(path.rsplit("/", 1)[1])
            if sub is not None:
                return 200, sub
            return 404, {"error": {"type": "invalid_request_error", "message": "No such subscription"}}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})."}}


def _handler_for(fake: FakeStripe):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            params = dict(parse_qsl(raw or query, keep_blank_values=True))
            fake.requests.append({"method": method, "path": path, "params": params, "headers": dict(self.headers)})
            status, body = fake.answer(method, path, params)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_API_BASE = fake.base
    settings.STRIPE_SECRET_KEY = "sk_test_fake_key"
    settings.STRIPE_PRICE_PRO = PRICE_PRO
    settings.STRIPE_PRICE_TEAM = PRICE_TEAM
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = "https://dbooster.example"
    settings.BILLING_RETRY_BASE_SECONDS = 0
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload" with the endpoint secret>."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(event_type: str, obj: dict, *, created: int | None = None, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-06-30.basil",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def subscription_object(
    sub_id: str, customer: str, *, price: str = PRICE_PRO, status: str = "active", period_end: int | None = None
) -> dict:
    end = period_end or int(time.time()) + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price", "unit_amount": 2900, "currency": "usd"},
                    "quantity": 1,
                    "current_period_end": end,
                }
            ],
        },
    }


def invoice_object(invoice_id: str, customer: str, *, amount: int = 2900, paid_at: int | None = None) -> dict:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "currency": "usd",
        "amount_due": amount,
        "amount_paid": amount if paid_at else 0,
        "number": f"INV-{invoice_id[-4:]}",
        "status": "paid" if paid_at else "open",
        "status_transitions": {"paid_at": paid_at},
    }


@pytest.fixture
def post_webhook(api_client):
    """post_webhook(event_dict, timestamp=..., secret=..., tamper=...) -> response."""

    def post(event: dict, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET, tamper: bool = False):
        payload = json.dumps(event).encode()
        header = sign(payload, secret=secret, timestamp=timestamp)
        if tamper:
            payload = payload.replace(b'"livemode": false', b'"livemode": true ')
        return api_client.post(
            "/billing/webhook", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )

    return post
