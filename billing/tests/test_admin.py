import pytest
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from billing.models import BillingCustomer, PaymentHistory, Subscription, UserPaymentDetails, WebhookEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(org):
    staff = UserFactory(organization=org, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_admin_lists_customers_subscriptions_payments_and_events(staff_client, org, admin_user):
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_Adm1", created_by=admin_user)
    Subscription.objects.create(organization=org, stripe_subscription_id="sub_Adm1", plan="pro", status="active")
    PaymentHistory.objects.create(
        organization=org, user=admin_user, amount="29.00", status="paid", stripe_invoice_id="in_Adm1"
    )
    UserPaymentDetails.objects.create(user=admin_user, provider="stripe", payment_identifier="cus_Adm1")
    WebhookEvent.objects.create(
        event_id="evt_Adm1", type="invoice.paid", stripe_created="2026-01-01T00:00Z", payload={}
    )
    pages = {
        "/admin/billing/billingcustomer/": "cus_Adm1",
        "/admin/billing/subscription/": "pro",
        "/admin/billing/paymenthistory/": "in_Adm1",
        "/admin/billing/userpaymentdetails/": "cus_Adm1",
        "/admin/billing/webhookevent/": "evt_Adm1",
    }
    for url, expected in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url


def test_admin_requeues_failed_events_only(staff_client):
    failed = WebhookEvent.objects.create(
        event_id="evt_Failed", type="invoice.paid", stripe_created="2026-01-01T00:00Z", payload={}, status="failed"
    )
    done = WebhookEvent.objects.create(
        event_id="evt_Done", type="invoice.paid", stripe_created="2026-01-01T00:00Z", payload={}, status="processed"
    )
    response = staff_client.post(
        "/admin/billing/webhookevent/", {"action": "requeue", "_selected_action": [failed.pk, done.pk]}, follow=True
    )
    assert "1 event(s) queued again." in response.content.decode()
    jobs = ProcrastinateJob.objects.filter(task_name="billing.process_stripe_event")
    assert [job.args for job in jobs] == [{"event_pk": failed.pk}]
