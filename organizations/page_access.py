"""Access rules for the server-rendered pages: the API's roles, with a session instead of a token.

Anonymous visitors go to the sign-in page; users without an organization go to the
organization page (to create one or accept an invitation); a role too low for the
page gets a 403 page that says which role it needs; another tenant's objects are 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from dbooster.errors import DomainError
from dbooster.roles import Role, role_at_least

ORGANIZATION_PAGE = "/app/organization/"


def render_error(request, status: int, title: str, message: str):
    return render(
        request, "accounts/page_error.html", {"title": title, "message": message, "status": status}, status=status
    )


def not_found(request, what: str = "page"):
    return render_error(request, 404, "Not found", f"This {what} does not exist, or it is not in your organization.")


def role_required(role: str = Role.VIEWER, *, needs_organization: bool = True):
    """Page decorator: signed in, in an organization, and at least `role` there."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if needs_organization and user.organization_id is None:
                messages.info(request, "You do not belong to an organization yet: create one or accept an invitation.")
                return redirect(ORGANIZATION_PAGE)
            if user.organization_id is not None and not role_at_least(user.role, role):
                return render_error(
                    request,
                    403,
                    "Not allowed",
                    f"Your role ({user.role}) cannot do this; it needs {role} or above. Ask an admin of your organization.",
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def flash_domain_error(request, exc: DomainError) -> None:
    messages.error(request, exc.detail)


def safe_next(request, candidate: str | None, default: str = "/app/") -> str:
    """`candidate` when it is a path on this site, else `default` (never an open redirect)."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith("//")
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return candidate
    return default
