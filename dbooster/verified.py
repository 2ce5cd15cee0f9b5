"""The one guard for what only a verified e-mail address may do: invite people, connect databases,
and run anything against them (explain, optimize, scans).

It sits at the bottom layer (every app above may use it) and asks only `user.email_verified`,
which accounts maintains.

API views add `VerifiedEmail` to their permission classes; pages wrap their view in
`@verified_required`. Both ask `ensure_verified`, so the rule and its message live here only.
Reads stay open: an unverified user still sees their organization's data.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS, BasePermission

from dbooster.errors import PermissionDenied

VERIFY_PAGE = "/app/verify/"


class EmailNotVerified(PermissionDenied):
    code = "email_not_verified"


def ensure_verified(user) -> None:
    """Raise EmailNotVerified (403) unless `user` proved their address."""
    if user.is_authenticated and not user.email_verified:
        raise EmailNotVerified(
            f"Verify your e-mail address first: enter the code we sent to {user.email} "
            f"(POST /auth/verify, or the page {VERIFY_PAGE}; POST /auth/resend-code sends a new one)."
        )


class VerifiedEmail(BasePermission):
    """DRF permission: writes (invite, connect, run) need a verified address."""

    code = EmailNotVerified.code

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        try:
            ensure_verified(request.user)
        except EmailNotVerified as exc:
            self.message = exc.detail
            return False
        return True


def verified_required(view):
    """Page decorator: a POST (invite, connect, run) by an unverified user gets a 403 page pointing to /app/verify/."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            try:
                ensure_verified(request.user)
            except EmailNotVerified as exc:
                context = {"title": "Verify your e-mail address", "message": exc.detail, "status": 403}
                context["action"] = {"url": VERIFY_PAGE, "label": "Enter the code"}
                return render(request, "accounts/page_error.html", context, status=403)
        return view(request, *args, **kwargs)

    return wrapper
