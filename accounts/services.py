from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from dbooster.errors import Conflict, InvalidInput
from dbooster.roles import Role


def token_pair(user: User) -> dict:
    """The API's token answer: `{"access_token", "refresh_token", "token_type": "bearer"}`."""
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
    }


def _personal_organization_name(email: str) -> str:
    from organizations.models import Organization

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
    from organizations.services import organization_create

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
