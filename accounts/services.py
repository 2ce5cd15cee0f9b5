from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import OAuthExchangeCode, User
from dbooster.errors import Conflict, DomainError, InvalidInput
from dbooster.roles import Role
from organizations.models import Organization
from organizations.services import organization_create


def token_pair(user: User) -> dict:
    """The API's token answer: `{"access_token", "refresh_token", "token_type": "bearer"}`."""
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
    }


def _personal_organization_name(email: str) -> str:
    base = f"{email.split('@')[0]}'s organization"
    name, n = base, 1
    while Organization.objects.filter(name=name).exists():
        n += 1
        name = f"{base} {n}"
    return name


@transaction.atomic
def user_signup(
    *, email: str, password: str, full_name: str | None = None, organization_name: str | None = None
) -> User:
    """A new user with a password, admin of a new organization of their own.

    Everyone works inside an organization; a user who is invited elsewhere later
    moves there when accepting the invitation.
    """
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email, full_name=full_name)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with this e-mail already exists; sign in instead.", code="email_taken")
    try:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError:
        raise Conflict("An account with this e-mail already exists; sign in instead.", code="email_taken") from None
    organization_create(name=organization_name or _personal_organization_name(email), creator=user, role=Role.ADMIN)
    return user


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def oauth_code_issue(*, user: User, provider: str = "") -> str:
    """A fresh single-use code for `user`, valid OAUTH_CODE_TTL_SECONDS. Only its hash is kept."""
    code = secrets.token_urlsafe(32)
    OAuthExchangeCode.objects.create(
        code_hash=_code_hash(code),
        user=user,
        provider=provider,
        expires_at=timezone.now() + timedelta(seconds=settings.OAUTH_CODE_TTL_SECONDS),
    )
    # Expired codes are worthless; clearing them here keeps the table small without a cron job.
    OAuthExchangeCode.objects.filter(expires_at__lt=timezone.now() - timedelta(hours=1)).delete()
    return code


class CodeRejected(DomainError):
    status_code = 400
    code = "invalid_code"


@transaction.atomic
def oauth_code_exchange(*, code: str) -> User:
    """The user a code was issued to; the code is spent. Unknown, used or expired codes are refused."""
    row = (
        OAuthExchangeCode.objects.select_for_update().select_related("user").filter(code_hash=_code_hash(code)).first()
    )
    if row is None:
        raise CodeRejected("This sign-in code is not valid; sign in again.")
    if row.used_at is not None:
        raise CodeRejected("This sign-in code was already used; sign in again.", code="code_used")
    if row.expires_at <= timezone.now():
        raise CodeRejected("This sign-in code has expired; sign in again.", code="code_expired")
    if not row.user.is_active:
        raise CodeRejected("This account is disabled.", code="account_disabled")
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return row.user


@transaction.atomic
def personal_organization_give(*, user: User) -> None:
    """A user who arrived without an invitation gets an organization of their own, as its admin."""
    if user.organization_id is None:
        organization_create(name=_personal_organization_name(user.email), creator=user, role=Role.ADMIN)


def provider_profile_apply(*, user: User, provider: str, uid: str, data: dict, access_token: str | None) -> None:
    """Copy what a provider told us onto the user (the seed's google_id, full_name, picture; github_token).

    Fields the user already has are kept, except the GitHub token, which is always the latest.
    """
    changed = []
    name = data.get("name")
    picture = data.get("picture") if provider == "google" else data.get("avatar_url")
    if name and not user.full_name:
        user.full_name = str(name)[:255]
        changed.append("full_name")
    if picture and not user.picture and len(picture) <= 1000:
        user.picture = picture
        changed.append("picture")
    if provider == "google" and uid and user.google_id != uid:
        # Another user holding this Google id would break the unique column; leave theirs alone.
        if not User.objects.filter(google_id=uid).exclude(pk=user.pk).exists():
            user.google_id = uid
            changed.append("google_id")
    if provider == "github" and access_token:
        user.github_token = access_token
        changed.append("github_token")
    if changed and user.pk:
        user.save(update_fields=changed)
