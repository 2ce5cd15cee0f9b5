"""Sign-in with Google and GitHub: which providers are usable, and where the browser goes.

The OAuth dance itself is django-allauth's (accounts/adapters.py shapes the user it
creates). Two destinations exist after a provider answers:

- the React front end (the default): the browser lands on
  FRONTEND_URL + FRONTEND_OAUTH_CALLBACK_PATH with a one-time `code` (or an `error`),
  which the front end trades for tokens at `POST /auth/token`;
- a server-rendered page: `/auth/google?next=/app/` signs in with the Django
  session and goes back to that local path.

`/auth/github?process=connect&next=/app/...` instead adds the provider account to the
user already signed in with the session (a GitHub account under another e-mail, for
repository access).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

# Session key set by the start view when the front end is waiting for a code.
FRONTEND_FLOW_SESSION_KEY = "dbooster_oauth_frontend"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    settings_names: tuple[str, str]

    @property
    def hint(self) -> str:
        first, second = self.settings_names
        return f"{self.name} sign-in is not configured: set {first} and {second} in the environment (see .env.example)."


PROVIDERS = (
    Provider("google", "Google", ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")),
    Provider("github", "GitHub", ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")),
)


def get_provider(provider_id: str) -> Provider:
    for provider in PROVIDERS:
        if provider.id == provider_id:
            return provider
    raise KeyError(provider_id)


def is_configured(provider_id: str) -> bool:
    """True when allauth has an app (id and secret) for the provider, from settings or the database."""
    # allauth's adapter module loads Django's auth models: imported when asked, so importing this module
    # never needs the app registry (accounts.views shows the buttons even when this module is broken).
    from allauth.socialaccount.adapter import get_adapter

    apps = get_adapter().list_apps(None, provider=provider_id)
    return any(app.client_id and app.secret for app in apps)


def provider_status() -> list[dict]:
    """For the sign-in page: each provider, whether it can be used, and what to set if not."""
    statuses = []
    for provider in PROVIDERS:
        configured = is_configured(provider.id)
        statuses.append(
            {
                "id": provider.id,
                "name": provider.name,
                "configured": configured,
                # People signing in are told it is not available; what to set is on the operator's page.
                "hint": "" if configured else f"{provider.name} sign-in is not set up on this server.",
                "setup_url": f"/app/setup/{provider.id}/",
                "start_url": f"/auth/{provider.id}",
            }
        )
    return statuses


def safe_next(request, candidate: str | None) -> str | None:
    """`candidate` if it is a path on this site (never another host), else None."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False):
        return None
    return candidate


def frontend_callback_url(**params: str) -> str:
    """FRONTEND_URL's OAuth landing page with `params` (a `code`, or an `error` and `detail`)."""
    base = settings.FRONTEND_URL.rstrip("/") + "/" + settings.FRONTEND_OAUTH_CALLBACK_PATH.lstrip("/")
    return f"{base}?{urlencode(params)}"
