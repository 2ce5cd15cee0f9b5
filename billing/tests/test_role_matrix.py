"""Role x endpoint x method for payments and billing (Stripe answered by the fake on 127.0.0.1).

Payment details are each user's own (the seed's user_payment_details), so every signed-in user reads and
saves theirs. The organization's billing (overview, checkout, portal) is for its admins; the caller from
another organization acts on their own organization there. The webhook is public and checked by signature.
"""

import pytest

from billing.models import BillingCustomer
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

SEED_DETAILS = {"provider": "stripe", "payment_identifier": "cus_ABC123"}
ADMINS_OF_ANY_ORG = expect(admin=201, member=403, viewer=403, other=201)

MATRIX = [
    Row("GET", "/payment/details", None, expect(admin=200, member=200, viewer=200, other=200)),
    Row("POST", "/payment/details", SEED_DETAILS, expect(admin=201, member=201, viewer=201, other=201)),
    Row("GET", "/billing", None, expect(admin=200, member=403, viewer=403, other=200)),
    Row("POST", "/billing/checkout", {"plan": "pro"}, ADMINS_OF_ANY_ORG),
    Row("POST", "/billing/portal", None, ADMINS_OF_ANY_ORG),
    # No Stripe-Signature header: refused for everyone, signed in or not, before anything is stored.
    Row("POST", "/billing/webhook", {"id": "evt_1", "type": "invoice.paid"},
        expect(admin=400, member=400, viewer=400, other=400, anonymous=400)),
]  # fmt: skip


@pytest.fixture
def targets(org, other_org_user, fake_stripe):
    BillingCustomer.objects.create(organization=org, stripe_customer_id="cus_MatrixOrg")
    BillingCustomer.objects.create(organization=other_org_user.organization, stripe_customer_id="cus_MatrixOther")
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_billing_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
