import pytest
from django.test import Client

from audit.models import AuditEvent
from billing.models import BillingCustomer, Subscription, UserPaymentDetails
from billing.tests.conftest import PRICE_PRO
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_org(org):
    org.plan = "free"
    org.save()
    return org


def test_checkout_creates_customer_and_subscription_session(fake_stripe, admin_client, admin_user, free_org):
    response = admin_client.post("/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert body["session_id"].startswith("cs_test_")

    (customer_call,) = fake_stripe.calls("POST", "/v1/customers")
    assert customer_call["headers"]["Authorization"] == "Bearer sk_test_fake_key"
    assert customer_call["headers"]["Idempotency-Key"] == f"dbooster-org-{free_org.pk}-customer"
    assert customer_call["params"]["email"] == admin_user.email
    assert customer_call["params"]["metadata[organization_id]"] == str(free_org.pk)
    customer = BillingCustomer.objects.get(organization=free_org)
    assert customer.stripe_customer_id.startswith("cus_Fake")

    (session_call,) = fake_stripe.calls("POST", "/v1/checkout/sessions")
    params = session_call["params"]
    assert params["mode"] == "subscription"
    assert params["customer"] == customer.stripe_customer_id
    assert params["line_items[0][price]"] == PRICE_PRO
    assert params["line_items[0][quantity]"] == "1"
    assert params["success_url"].startswith("https://dbooster.example/app/billing/?checkout=success")
    assert params["cancel_url"] == "https://dbooster.example/app/billing/?checkout=cancelled"
    assert params["client_reference_id"] == str(free_org.pk)
    assert params["subscription_data[metadata][organization_id]"] == str(free_org.pk)

    # The Stripe customer id is the admin's payment identifier.
    details = UserPaymentDetails.objects.get(user=admin_user)
    assert (details.provider, details.payment_identifier) == ("stripe", customer.stripe_customer_id)
    assert admin_client.get("/payment/details").json() == {
        "data": {"provider": "stripe", "identifier": customer.stripe_customer_id}
    }
    actions = set(AuditEvent.objects.filter(organization=free_org).values_list("action", flat=True))
    assert {"billing.customer_create", "billing.checkout_start"} <= actions
    # Checkout alone changes no plan: only Stripe's webhooks do.
    free_org.refresh_from_db()
    assert free_org.plan == "free"


def test_second_checkout_reuses_the_customer(fake_stripe, admin_client, free_org):
    assert admin_client.post("/billing/checkout", {"plan": "pro"}, format="json").status_code == 201
    assert admin_client.post("/billing/checkout", {"plan": "team"}, format="json").status_code == 201
    assert len(fake_stripe.calls("POST", "/v1/customers")) == 1
    sessions = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert [s["params"]["line_items[0][price]"] for s in sessions] == ["price_pro_test", "price_team_test"]
    assert len({s["params"]["customer"] for s in sessions}) == 1


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_only_admins_start_checkout(fake_stripe, request, who, free_org):
    response = request.getfixturevalue(who).post("/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert fake_stripe.requests == []


@pytest.mark.parametrize("plan", ["free", "gold", ""])
def test_bad_plan_is_400(fake_stripe, admin_client, plan):
    response = admin_client.post("/billing/checkout", {"plan": plan}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"  # the schema lists the paid plans: pro, team
    assert "choose one of: pro, team" in response.json()["detail"]
    assert fake_stripe.requests == []


def test_unconfigured_price_is_503_naming_the_setting(fake_stripe, settings, admin_client):
    settings.STRIPE_PRICE_TEAM = ""
    response = admin_client.post("/billing/checkout", {"plan": "team"}, format="json")
    assert response.status_code == 503
    assert "STRIPE_PRICE_TEAM" in response.json()["detail"]


def test_unconfigured_stripe_key_is_503(fake_stripe, settings, admin_client):
    settings.STRIPE_SECRET_KEY = ""
    response = admin_client.post("/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 503
    assert "STRIPE_SECRET_KEY" in response.json()["detail"]


def test_live_subscription_means_portal_not_checkout(fake_stripe, admin_client, org):
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_Live1")
    Subscription.objects.create(organization=org, stripe_subscription_id="sub_live", plan="pro", status="active")
    response = admin_client.post("/billing/checkout", {"plan": "team"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_subscribed"
    assert "billing portal" in response.json()["detail"]


def test_stripe_failure_is_502_and_creates_nothing(fake_stripe, admin_client, org):
    fake_stripe.fail["/v1/customers"] = 1
    response = admin_client.post("/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 502
    assert response.json() == {"detail": "Stripe: Fake Stripe is having a bad day.", "code": "stripe_error"}
    assert not BillingCustomer.objects.exists()


def test_portal_needs_a_customer(fake_stripe, admin_client):
    response = admin_client.post("/billing/portal")
    assert response.status_code == 409
    assert response.json()["code"] == "no_customer"


def test_portal_session_for_the_org_customer(fake_stripe, admin_client, member_client, org):
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_Portal1")
    assert member_client.post("/billing/portal").status_code == 403
    response = admin_client.post("/billing/portal")
    assert response.status_code == 201
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/")
    (call,) = fake_stripe.calls("POST", "/v1/billing_portal/sessions")
    assert call["params"] == {"customer": "cus_Portal1", "return_url": "https://dbooster.example/app/billing/"}


def test_overview_api_shows_usage_against_limits(admin_client, viewer_client, free_org, admin_user):
    ProjectFactory(organization=free_org)
    ProjectFactory(organization=free_org)
    body = admin_client.get("/billing").json()
    assert body["plan"] == "free" and body["plan_name"] == "Free"
    usage = {row["resource"]: row for row in body["usage"]}
    assert (usage["projects"]["used"], usage["projects"]["limit"]) == (2, 3)
    assert (usage["seats"]["used"], usage["seats"]["limit"]) == (2, 3)  # the admin and the viewer
    assert viewer_client.get("/billing").status_code == 403


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_billing_page_shows_plan_usage_and_buttons(admin_user, free_org):
    for _ in range(3):
        ProjectFactory(organization=free_org)
    html = _browser(admin_user).get("/app/billing/").content.decode()
    assert 'Plan: <span class="badge ok">Free</span>' in html
    assert "3\n            / 3" in html and "limit reached: upgrade to add more" in html
    assert 'action="/app/billing/checkout/"' in html and 'value="pro"' in html and 'value="team"' in html
    assert "Payment history" in html


def test_billing_page_for_members_has_no_buttons(member, free_org):
    html = _browser(member).get("/app/billing/").content.decode()
    assert "Only organization admins can change the plan." in html
    assert "/app/billing/checkout/" not in html
    assert "Payment history" not in html


def test_page_button_posts_and_redirects_to_stripe(fake_stripe, admin_user, member, free_org):
    response = _browser(admin_user).post("/app/billing/checkout/", {"plan": "team"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert _browser(member).post("/app/billing/checkout/", {"plan": "team"}).status_code == 403


def test_page_shows_stripe_errors_instead_of_failing(fake_stripe, admin_user, free_org):
    fake_stripe.fail["/v1/customers"] = 1
    browser = _browser(admin_user)
    response = browser.post("/app/billing/checkout/", {"plan": "pro"}, follow=True)
    assert response.redirect_chain[-1][0] == "/app/billing/"
    assert "Stripe: Fake Stripe is having a bad day." in response.content.decode()


def test_page_portal_button_redirects(fake_stripe, admin_user, org):
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_Page1")
    response = _browser(admin_user).post("/app/billing/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")


def test_billing_page_shows_subscription_and_payment_history(admin_user, org):
    from billing.models import PaymentHistory

    org.plan = "pro"
    org.save()
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_Hist1", created_by=admin_user)
    Subscription.objects.create(organization=org, stripe_subscription_id="sub_Hist1", plan="pro", status="active")
    PaymentHistory.objects.create(
        organization=org,
        user=admin_user,
        amount="29.00",
        status="paid",
        stripe_invoice_id="in_H1",
        description="INV-0001",
    )
    PaymentHistory.objects.create(
        organization=org,
        user=admin_user,
        amount="29.00",
        status="failed",
        stripe_invoice_id="in_H2",
        description="INV-0002",
    )
    html = _browser(admin_user).get("/app/billing/").content.decode()
    assert "sub_Hist1" in html and "Manage card and subscription" in html
    assert "INV-0001" in html and "INV-0002" in html and "29.00 USD" in html
    assert '<span class="badge bad">failed</span>' in html
    # With a live subscription, plan changes go through the portal, not a second checkout.
    assert 'action="/app/billing/checkout/"' not in html


def test_nav_links_to_billing(admin_user):
    assert 'href="/app/billing/"' in _browser(admin_user).get("/app/billing/").content.decode()


def test_billing_page_and_api_show_only_my_organizations_billing(admin_user, admin_client, org, other_org_user):
    from billing.models import PaymentHistory

    other = other_org_user.organization
    Subscription.objects.create(organization=other, stripe_subscription_id="sub_Other1", plan="team", status="active")
    PaymentHistory.objects.create(
        organization=other, user=other_org_user, amount="99.00", status="paid", stripe_invoice_id="in_O1"
    )
    PaymentHistory.objects.create(
        organization=org, user=admin_user, amount="29.00", status="paid", stripe_invoice_id="in_Mine"
    )
    html = _browser(admin_user).get("/app/billing/").content.decode()
    assert "29.00 USD" in html
    assert "sub_Other1" not in html and "99.00" not in html
    body = admin_client.get("/billing").json()
    assert body["subscription"] is None
    assert [p["amount"] for p in body["payments"]] == ["29.00"]
