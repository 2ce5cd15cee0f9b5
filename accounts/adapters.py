"""How django-allauth creates and updates DBooster users.

- A user created by a provider sign-in (or allauth's own sign-up form) gets an
  organization of their own, like `POST /auth/signup`.
- Google fills the seed's `google_id`, `full_name`, `picture`; GitHub stores the
  user's access token, encrypted, in `github_token` on every sign-in.
- The same verified e-mail from both providers is one user: allauth's e-mail
  authentication (SOCIALACCOUNT_EMAIL_AUTHENTICATION*) matches it, and wipes the
  password of an account whose e-mail nobody verified.
- A provider sign-in whose verified addresses include the user's e-mail
  marks the account verified (`users.email_verified_at`).
- When the front end started the flow, provider errors go back to it as
  `?error=...` instead of an HTML page.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.db import transaction
from django.http import HttpResponseRedirect

from accounts import oauth, services
from audit import services as audit

_ERROR_DETAILS = {
    "cancelled": "Sign-in was cancelled at the provider.",
    "denied": "The provider refused the sign-in.",
    "unknown": "Sign-in with the provider failed; please try again.",
}


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.email = (user.email or "").lower()
        if commit:
            with transaction.atomic():
                user.save()
                services.personal_organization_give(user=user)
        return user

    def post_login(self, request, user, **kwargs):
        # Signing in over an existing session flushes it, so the start view's mark that the
        # front end is waiting is set again from the OAuth state, which survived the flush.
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None and (sociallogin.state.get("data") or {}).get("frontend"):
            request.session[oauth.FRONTEND_FLOW_SESSION_KEY] = sociallogin.account.provider
        return super().post_login(request, user, **kwargs)


def _access_token(sociallogin) -> str | None:
    token = getattr(sociallogin, "token", None)
    return token.token if token is not None and token.token else None


def _apply_profile(sociallogin) -> None:
    account = sociallogin.account
    services.provider_profile_apply(
        user=sociallogin.user,
        provider=account.provider,
        uid=str(account.uid),
        data=account.extra_data or {},
        access_token=_access_token(sociallogin),
    )
    # An address the provider itself verified counts as verified here too.
    verified = [address.email for address in sociallogin.email_addresses if address.verified and address.email]
    services.provider_email_verified(user=sociallogin.user, verified_emails=verified)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        return user

    def save_user(self, request, sociallogin, form=None):
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            # The access token is attached to the login only after populate_user ran.
            _apply_profile(sociallogin)
            services.personal_organization_give(user=user)
        audit.record(
            action="auth.signup",
            actor=user,
            target=user,
            request=request,
            metadata={"provider": sociallogin.account.provider},
        )
        return user

    def pre_social_login(self, request, sociallogin):
        """An existing user (same provider account, or the same verified e-mail) signs in again."""
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if connecting and sociallogin.user != request.user:
            return  # allauth refuses to move a provider account to another user; change nothing
        if sociallogin.is_existing:
            _apply_profile(sociallogin)
            audit.record(
                action="auth.login",
                actor=sociallogin.user,
                target=sociallogin.user,
                request=request,
                metadata={"provider": sociallogin.account.provider},
            )

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
        started_by_frontend = request.session.pop(oauth.FRONTEND_FLOW_SESSION_KEY, None)
        audit.record(
            action="auth.login",
            outcome="failure",
            request=request,
            metadata={"provider": getattr(provider, "id", ""), "error": str(error or "unknown")},
        )
        if started_by_frontend:
            code = str(error or "unknown")
            url = oauth.frontend_callback_url(
                error=code,
                provider=getattr(provider, "id", ""),
                detail=_ERROR_DETAILS.get(code, _ERROR_DETAILS["unknown"]),
            )
            raise ImmediateHttpResponse(HttpResponseRedirect(url))


def on_social_account_added(sender, request, sociallogin, **kwargs):
    """A provider account joined an existing user (connect, or the same verified e-mail): keep its data."""
    _apply_profile(sociallogin)
    audit.record(
        action="auth.provider_connected",
        actor=sociallogin.user,
        target=sociallogin.user,
        request=request,
        metadata={"provider": sociallogin.account.provider},
    )
