"""The billing page: plan, usage against limits, upgrade and card buttons, payment history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing import selectors, services
from billing.usage import plan_cards
from dbooster.errors import DomainError
from dbooster.roles import Role, role_at_least

_CHECKOUT_MESSAGES = {
    "success": "Thank you! Your payment went through; the new plan applies as soon as Stripe confirms it.",
    "cancelled": "Checkout was cancelled; nothing was charged.",
}


def _is_admin(user) -> bool:
    return user.organization_id is not None and role_at_least(user.role, Role.ADMIN)


@login_required
def billing_page(request):
    org = request.user.organization
    if org is None:
        messages.error(request, "You do not belong to an organization yet.")
        return redirect("/app/")
    notice = _CHECKOUT_MESSAGES.get(request.GET.get("checkout", ""))
    overview = selectors.billing_overview(org=org)
    context = {
        "org": org,
        "is_admin": _is_admin(request.user),
        "notice": notice,
        **overview,
        "plans": plan_cards(overview["plans"]),
    }
    return render(request, "billing/billing.html", context)


def _admin_redirect(request, start):
    if not _is_admin(request.user):
        return HttpResponseForbidden("Only organization admins manage billing.")
    try:
        session = start()
    except DomainError as exc:
        if exc.code == "billing_disabled":
            return redirect("/app/setup/stripe/")  # the operator's to fix: never a setting name for the user
        messages.error(request, exc.detail)
        return redirect("/app/billing/")
    return redirect(session["url"])


@login_required
@require_POST
def checkout_redirect(request):
    return _admin_redirect(
        request,
        lambda: services.checkout_session_create(
            org=request.user.organization, user=request.user, plan=request.POST.get("plan", ""), request=request
        ),
    )


@login_required
@require_POST
def portal_redirect(request):
    return _admin_redirect(
        request,
        lambda: services.portal_session_create(org=request.user.organization, user=request.user, request=request),
    )
