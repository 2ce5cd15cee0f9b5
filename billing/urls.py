from billing import api
from dbooster.api import api_path

urlpatterns = [
    api_path("payment/details", api.PaymentDetailsView.as_view(), name="payment-details"),
    api_path("billing", api.BillingOverviewView.as_view(), name="billing-overview"),
    api_path("billing/checkout", api.CheckoutView.as_view(), name="billing-checkout"),
    api_path("billing/portal", api.PortalView.as_view(), name="billing-portal"),
    api_path("billing/webhook", api.WebhookView.as_view(), name="billing-webhook"),
]
