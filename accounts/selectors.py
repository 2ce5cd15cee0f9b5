"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import SignInSession, User


def sessions_active(*, user: User) -> QuerySet[SignInSession]:
    """The user's sign-in sessions whose current refresh token is outstanding: not expired, not revoked."""
    live_jtis = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values("jti")
    return SignInSession.objects.filter(user=user, revoked_at__isnull=True, jti__in=live_jtis).order_by("-last_used_at")
