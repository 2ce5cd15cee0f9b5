from django.urls import path

from billing import views

urlpatterns = [
    path("billing/", views.billing_page, name="billing-page"),
    path("billing/checkout/", views.checkout_redirect, name="billing-page-checkout"),
    path("billing/portal/", views.portal_redirect, name="billing-page-portal"),
]
