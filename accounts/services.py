from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.jobs import defer_account_email
from accounts.models import EmailCode, OAuthExchangeCode, SignInSession, User
from audit import services as audit
from dbooster import ratelimit
from dbooster.errors import Conflict, DomainError, InvalidInput, NotFound
from dbooster.roles import Role
from organizations.models import Organization
from organizations.services import leave_current_organization, organization_create

# The refresh (and access) token claim naming the sign-in session.
SESSION_CLAIM = SignInSession.TOKEN_CLAIM


class CodeRejected(DomainError):
    status_code = 400
    code = "invalid_code"


# --- tokens and sign-in sessions ------------------------------------------------------------------


def _request_origin(request) -> dict:
    if request is None:
        return {"user_agent": "", "ip_address": None}
    address = ratelimit.client_address(request)
    try:
        ip = str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "") or address.split("/")[0]))
    except ValueError:
        ip = None
    return {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:400], "ip_address": ip}


def token_pair(user: User, *, request=None) -> dict:
    """The API's token answer: `{"access_token", "refresh_token", "token_type": "bearer"}`.

    Each pair starts a sign-in session (listed at GET /users/me/sessions); its id rides in the
    tokens as the `sid` claim, which refresh rotation keeps.
    """
    now = timezone.now()
    # Sessions idle longer than a refresh token lives can never be used again: forget them.
    SignInSession.objects.filter(user=user, last_used_at__lt=now - api_settings.REFRESH_TOKEN_LIFETIME).delete()
    session = SignInSession.objects.create(user=user, jti="", last_used_at=now, **_request_origin(request))
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = session.pk
    session.jti = refresh[api_settings.JTI_CLAIM]
    session.save(update_fields=["jti"])
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
    }


def session_refreshed(*, refresh_token: str, request=None) -> None:
    """A session's refresh token rotated: follow it to the new token and note where it was used from."""
    token = RefreshToken(refresh_token)
    session_id = token.get(SESSION_CLAIM)
    if session_id is None:
        return
    SignInSession.objects.filter(pk=session_id, user_id=token.get(api_settings.USER_ID_CLAIM)).update(
        jti=token[api_settings.JTI_CLAIM], last_used_at=timezone.now(), **_request_origin(request)
    )


def _blacklist(outstanding) -> None:
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def session_revoke(*, user: User, session_id: int) -> None:
    """End one of the user's sessions: its refresh token is blacklisted. Another user's session is a 404."""
    session = SignInSession.objects.filter(pk=session_id, user=user, revoked_at__isnull=True).first()
    if session is None:
        raise NotFound("Session not found.", code="session_not_found")
    _blacklist(OutstandingToken.objects.filter(user=user, jti=session.jti))
    session.revoked_at = timezone.now()
    session.save(update_fields=["revoked_at"])


@transaction.atomic
def session_sign_out(*, user: User, refresh_token: str) -> None:
    """Sign out with a refresh token: it is blacklisted and its session ended, so its access tokens stop too.

    Raises TokenError for a token that is not a valid refresh token, InvalidInput for another user's.
    """
    token = RefreshToken(refresh_token)
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidInput("That refresh token belongs to someone else.")
    token.blacklist()
    session_id = token.get(SESSION_CLAIM)
    if session_id is not None:
        SignInSession.objects.filter(pk=session_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


@transaction.atomic
def sessions_revoke_all(*, user: User, keep_session_id: int | None = None) -> int:
    """End every session of the user (all refresh tokens blacklisted), except `keep_session_id`. Returns how many."""
    sessions = SignInSession.objects.filter(user=user, revoked_at__isnull=True)
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    if keep_session_id is not None:
        kept = sessions.filter(pk=keep_session_id).values_list("jti", flat=True)
        outstanding = outstanding.exclude(jti__in=list(kept))
        sessions = sessions.exclude(pk=keep_session_id)
    _blacklist(outstanding)
    return sessions.update(revoked_at=timezone.now())


# --- passwords -------------------------------------------------------------------------------------


def password_problems(*, password: str, user: User | None = None) -> list[str]:
    """Django's password validators' messages for `password` (empty when it passes)."""
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        return list(exc.messages)
    return []


def _require_strong(password: str, *, user: User, field: str = "password") -> None:
    problems = password_problems(password=password, user=user)
    if problems:
        raise InvalidInput(" ".join(problems), code="weak_password", extra={"errors": {field: problems}})


# --- e-mailed one-time codes ----------------------------------------------------------------------


def _keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


class CodeLocked(DomainError):
    status_code = 429
    code = "too_many_tries"


def email_code_issue(*, user: User, purpose: str, email: str) -> dict:
    """A fresh six-digit code and link token for `purpose`, sent to `email`; older ones are retired.

    Returns `{"code", "token"}` for the e-mail; only their keyed hashes are stored.
    """
    now = timezone.now()
    EmailCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(32)
    EmailCode.objects.create(
        user=user,
        purpose=purpose,
        email=email,
        code_hash=_keyed_hash(code),
        token_hash=_keyed_hash(token),
        expires_at=now + timedelta(minutes=settings.EMAIL_CODE_TTL_MINUTES),
    )
    return {"code": code, "token": token}


def _send_code(*, user: User, purpose: str, email: str, kind: str) -> None:
    secrets_ = email_code_issue(user=user, purpose=purpose, email=email)
    defer_account_email(kind=kind, to=email, user_id=user.pk, secrets=secrets_)


def _miss_for_unknown_address(purpose: str, email: str) -> None:
    """Wrong codes for an address with no code lock like real ones do, so the answers never differ."""
    count, _ = ratelimit.hit(f"code-miss:{purpose}:{_keyed_hash(email)[:32]}", settings.EMAIL_CODE_TTL_MINUTES * 60)
    if count >= settings.EMAIL_CODE_MAX_ATTEMPTS:
        raise CodeLocked("Too many wrong codes: ask for a new code.")


def _judge_code(row: EmailCode | None, *, purpose: str, email: str, code: str) -> DomainError | None:
    """What is wrong with `code` for `row` (counting a wrong try), or None when it is right."""
    if row is None:
        _miss_for_unknown_address(purpose, email)
        return CodeRejected("This code is wrong: check the e-mail, or ask for a new code.", code="wrong_code")
    if row.attempts >= settings.EMAIL_CODE_MAX_ATTEMPTS:
        return CodeLocked("Too many wrong codes: ask for a new code.")
    if row.expires_at <= timezone.now():
        return CodeRejected("This code has expired: ask for a new code.", code="code_expired")
    if not hmac.compare_digest(row.code_hash, _keyed_hash(code)):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        if row.attempts >= settings.EMAIL_CODE_MAX_ATTEMPTS:
            return CodeLocked("Too many wrong codes: ask for a new code.")
        return CodeRejected("This code is wrong: check the e-mail, or ask for a new code.", code="wrong_code")
    return None


def _judge_token(row: EmailCode | None) -> DomainError | None:
    if row is None or row.used_at is not None:
        return CodeRejected("This link is not valid or was already used: ask for a new code.", code="invalid_link")
    if row.expires_at <= timezone.now():
        return CodeRejected("This link has expired: ask for a new code.", code="code_expired")
    return None


def email_code_check(*, purpose: str, email: str = "", code: str = "", token: str = "") -> EmailCode:
    """The live code row that `code` (for `email`) or the link `token` proves; not spent yet.

    A wrong try is committed before the error is raised, so it counts even though the request fails.
    """
    if not token and not (email and code):
        raise InvalidInput("Send the e-mail address and the code, or the link's token.", code="code_required")
    with transaction.atomic():
        rows = EmailCode.objects.select_for_update().select_related("user").filter(purpose=purpose)
        if token:
            row = rows.filter(token_hash=_keyed_hash(token)).first()
            problem = _judge_token(row)
        else:
            email = User.objects.normalize_email(email).lower()
            row = rows.filter(email=email, used_at__isnull=True).order_by("-created_at").first()
            problem = _judge_code(row, purpose=purpose, email=email, code=code)
    if problem is not None:
        raise problem
    return row


def _spend(row: EmailCode) -> None:
    """Mark the code used, once: a second request racing with the same code loses."""
    if not EmailCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise CodeRejected("This code was already used: ask for a new code.", code="code_used")


# --- sign-up and e-mail verification --------------------------------------------------------------


def _personal_organization_name(email: str) -> str:
    base = f"{email.split('@')[0]}'s organization"
    name, n = base, 1
    while Organization.objects.filter(name=name).exists():
        n += 1
        name = f"{base} {n}"
    return name


def _refuse_taken_organization_name(name: str | None) -> None:
    if name and Organization.objects.filter(name__iexact=name.strip()).exists():
        raise Conflict(
            f"An organization named {name.strip()!r} already exists; choose another name.", code="name_taken"
        )


@transaction.atomic
def user_signup(
    *, email: str, password: str, full_name: str | None = None, organization_name: str | None = None
) -> User | None:
    """A new, unverified user with a password, admin of a new organization of their own; a code is e-mailed.

    Everyone works inside an organization; a user who is invited elsewhere later moves there
    when accepting the invitation. The answer must not tell whether the address is registered,
    so an address that already has an account gets an e-mail saying so (to its owner) and the
    caller gets the same answer: None is returned instead of the user.
    """
    email = User.objects.normalize_email(email).lower()
    _require_strong(password, user=User(email=email, full_name=full_name))
    _refuse_taken_organization_name(organization_name)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, full_name=full_name)
        except IntegrityError:  # signed up a moment ago by a concurrent request
            existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        defer_account_email(kind="account_exists", to=existing.email, user_id=existing.pk)
        return None
    organization_create(name=organization_name or _personal_organization_name(email), creator=user, role=Role.ADMIN)
    _send_code(user=user, purpose=EmailCode.Purpose.VERIFY_EMAIL, email=email, kind="verify_email")
    return user


def verification_code_resend(*, email: str) -> None:
    """A new code for an address waiting to be verified (sign-up or e-mail change); silence otherwise."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email, email_verified_at__isnull=True, is_active=True).first()
    if user is None:
        user = User.objects.filter(pending_email__iexact=email, is_active=True).first()
    if user is not None:
        _send_code(user=user, purpose=EmailCode.Purpose.VERIFY_EMAIL, email=email, kind="verify_email")


def email_verification_start(*, user: User) -> None:
    """E-mail a new code to the user's own address (the profile page's "send me a code")."""
    if not user.email_verified:
        _send_code(user=user, purpose=EmailCode.Purpose.VERIFY_EMAIL, email=user.email, kind="verify_email")


def email_verify(*, email: str = "", code: str = "", token: str = "") -> User:
    """The address a code or link was sent to is proven: verified, or swapped in for an e-mail change."""
    row = email_code_check(purpose=EmailCode.Purpose.VERIFY_EMAIL, email=email, code=code, token=token)
    with transaction.atomic():
        return _apply_verification(row)


def _apply_verification(row: EmailCode) -> User:
    user = User.objects.select_for_update().get(pk=row.user_id)
    if row.email == user.email:
        _spend(row)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        return user
    if row.email != user.pending_email:
        raise CodeRejected("This code is for an address the account no longer uses.", code="code_stale")
    if User.objects.filter(email__iexact=row.email).exclude(pk=user.pk).exists():
        raise Conflict("Another account took this address meanwhile.", code="email_taken")
    _spend(row)
    user.email, user.pending_email, user.email_verified_at = row.email, None, timezone.now()
    user.save(update_fields=["email", "pending_email", "email_verified_at"])
    return user


def provider_email_verified(*, user: User, verified_emails: list[str]) -> None:
    """A provider vouched for the user's address (Google, GitHub verified e-mails): it counts as verified."""
    if user.pk and user.email_verified_at is None and user.email.lower() in {e.lower() for e in verified_emails}:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])


# --- forgotten password -----------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """E-mail a reset code and link when an active account has this address; nothing otherwise."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is not None:
        _send_code(user=user, purpose=EmailCode.Purpose.RESET_PASSWORD, email=user.email, kind="reset_password")


def password_reset_complete(*, new_password: str, email: str = "", code: str = "", token: str = "") -> User:
    """Set a new password with a reset code or link; every refresh token of the user is revoked."""
    row = email_code_check(purpose=EmailCode.Purpose.RESET_PASSWORD, email=email, code=code, token=token)
    with transaction.atomic():
        return _apply_reset(row, new_password)


def _apply_reset(row: EmailCode, new_password: str) -> User:
    user = User.objects.select_for_update().get(pk=row.user_id)
    _require_strong(new_password, user=user, field="new_password")
    _spend(row)
    user.set_password(new_password)
    fields = ["password"]
    if row.email == user.email and user.email_verified_at is None:
        user.email_verified_at = timezone.now()  # reading the reset mail proves the address too
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    sessions_revoke_all(user=user)
    return user


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str, keep_session_id: int | None) -> None:
    """Change a password knowing the current one; the user's other sessions end."""
    if user.has_usable_password() and not user.check_password(current_password):
        raise InvalidInput(
            "The current password is wrong.",
            code="wrong_password",
            extra={"errors": {"current_password": ["The current password is wrong."]}},
        )
    _require_strong(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    sessions_revoke_all(user=user, keep_session_id=keep_session_id)


# --- profile and account deletion -------------------------------------------------------------------

_UNSET = object()


@transaction.atomic
def profile_update(*, user: User, full_name=_UNSET, picture=_UNSET, email=_UNSET) -> User:
    """Change name and picture; a new e-mail address takes effect once the code sent there is entered.

    Whether the new address belongs to another account is never said here: its owner gets an
    e-mail instead of a code.
    """
    fields = []
    if full_name is not _UNSET:
        user.full_name = (full_name or "").strip() or None
        fields.append("full_name")
    if picture is not _UNSET:
        user.picture = picture or None
        fields.append("picture")
    if email is not _UNSET:
        email = User.objects.normalize_email(email).lower()
        if email == user.email:
            user.pending_email = None
        else:
            user.pending_email = email
            owner = User.objects.filter(email__iexact=email).first()
            if owner is not None:
                defer_account_email(kind="email_taken", to=email, user_id=owner.pk)
            else:
                _send_code(user=user, purpose=EmailCode.Purpose.VERIFY_EMAIL, email=email, kind="verify_email")
        fields.append("pending_email")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def user_delete(*, user: User, password: str = "", request=None) -> None:
    """Delete the account. The organization rules hold: its last admin cannot leave people behind,
    and an organization that would be left empty must not hold projects or a paid plan."""
    if user.has_usable_password() and not user.check_password(password or ""):
        raise InvalidInput(
            "Enter your password to delete your account.",
            code="wrong_password",
            extra={"errors": {"password": ["The password is wrong."]}},
        )
    leave_current_organization(user=user, request=request)
    sessions_revoke_all(user=user)
    # Recorded before the row goes (the event keeps the e-mail; its actor link becomes empty).
    audit.record(action="user.delete", actor=user, target=user, request=request, metadata={"email": user.email})
    user.delete()


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
