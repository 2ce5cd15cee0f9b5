"""Plan limits answer 402 with the limit and how to upgrade; a paid plan (from Stripe's webhook) lifts them."""

import pytest

from billing.models import BillingCustomer
from billing.tests.conftest import stripe_event, subscription_object
from billing.usage import usage_for
from dbooster.testing import run_pending_jobs
from plans.quotas import QuotaExceeded, enforce_quota
from tests.factories import ProjectFactory, UserFactory


@pytest.fixture
def free_org(org):
    org.plan = "free"
    org.save()
    return org


def _fill_projects(org, n=3):
    for _ in range(n):
        ProjectFactory(organization=org)


@pytest.mark.django_db
def test_project_limit_is_402_with_limit_and_upgrade_path(admin_client, free_org):
    _fill_projects(free_org)
    response = admin_client.post("/projects", {"name": "one too many"}, format="json")
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert body["limit"] == {"resource": "projects", "allowed": 3, "used": 3, "plan": "free"}
    assert "Free plan allows 3 projects" in body["detail"] and "/app/billing/" in body["detail"]


@pytest.mark.django_db
def test_seat_limit_is_402_through_invitations(admin_client, free_org, member, viewer):
    # admin + member + viewer = the Free plan's 3 seats.
    response = admin_client.post("/organizations/current/invitations", {"email": "fourth@example.com"}, format="json")
    assert response.status_code == 402, response.content
    assert response.json()["limit"]["resource"] == "seats"
    assert "Upgrade on the billing page" in response.json()["detail"]


@pytest.mark.django_db
def test_team_plan_seats_and_unlimited_projects(org):
    org.plan = "team"
    enforce_quota(organization=org, resource="projects", used=10_000)
    with pytest.raises(QuotaExceeded) as raised:
        enforce_quota(organization=org, resource="seats", used=50)
    assert raised.value.status_code == 402 and raised.value.extra["limit"]["allowed"] == 50


@pytest.mark.django_db
def test_usage_rows_match_what_the_services_count(free_org, admin_user):
    _fill_projects(free_org, 2)
    UserFactory(organization=free_org)
    rows = {row["resource"]: row for row in usage_for(free_org)}
    assert (rows["projects"]["used"], rows["projects"]["limit"], rows["projects"]["percent"]) == (2, 3, 67)
    assert (rows["seats"]["used"], rows["seats"]["at_limit"]) == (2, False)
    assert rows["connections"]["used"] == 0 and rows["scans_per_month"]["used"] == 0
    assert rows["ai_optimizations_per_month"]["used"] == 0


@pytest.mark.django_db(transaction=True)
def test_upgrade_through_stripe_webhook_lifts_the_project_limit(
    fake_stripe, post_webhook, admin_client, free_org, admin_user
):
    _fill_projects(free_org)
    assert admin_client.post("/projects", {"name": "blocked"}, format="json").status_code == 402
    BillingCustomer.objects.create(organization=free_org, stripe_customer_id="cus_Up1", created_by=admin_user)
    event = stripe_event("customer.subscription.created", subscription_object("sub_Up1", "cus_Up1"))
    assert post_webhook(event).status_code == 200
    run_pending_jobs()
    assert admin_client.post("/projects", {"name": "now allowed"}, format="json").status_code == 201


@pytest.mark.django_db
def test_plan_cards_name_each_limit_as_its_usage_line_does(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/app/billing/").content.decode()
    usage, plans = page.split('id="plans"', 1)
    assert "AI requests this month (optimizer and assistant)" in usage
    assert "AI requests per month (optimizer and assistant): 25" in plans  # the Free plan's card
    assert "Repository scans per month" in plans and "Database connections" in plans
    assert "AI optimizations" not in page
