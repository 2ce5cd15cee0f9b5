"""Middleware that server-rendered pages need and API calls signed in with a token do not.

Sessions, CSRF cookies, `request.user` from the session and messages serve the pages (and the pages' own calls
to the API, which carry the session cookie) and allauth's sign-in flows. An API request without a session
cookie, to a path outside those flows, gets nothing from them: its user comes from its bearer token (DRF), DRF
views are CSRF-exempt (DRF checks CSRF itself for session sign-ins), and an empty session is never saved.
`pages_only(...)` lets such a request go straight past each of them. (allauth's account middleware stays as it
is: allauth insists on finding it by name, and it costs little.)
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

# Paths whose views read or write the session or allauth's state: the pages, Django's admin, allauth's own
# URLs and the API's sign-in flows (OAuth start and completion keep their state in the session).
SESSION_PATHS = ("/app/", "/admin/", "/accounts/", "/auth/")


def skips_page_middleware(request) -> bool:
    """True for an API request that carries no session cookie: page-only middleware has nothing to do for it."""
    skip = getattr(request, "_skips_page_middleware", None)
    if skip is None:
        skip = not request.path.startswith(SESSION_PATHS) and settings.SESSION_COOKIE_NAME not in request.COOKIES
        request._skips_page_middleware = skip
    return skip


def _skip_hooks(middleware) -> None:
    """Django looks the hooks up on the instance: a skipped request gets from each what "no hook" would give."""
    if hasattr(middleware, "process_view"):
        middleware.process_view = _unless_skipped(middleware.process_view, lambda request, *args: None)
    if hasattr(middleware, "process_exception"):
        middleware.process_exception = _unless_skipped(middleware.process_exception, lambda request, exc: None)
    if hasattr(middleware, "process_template_response"):
        middleware.process_template_response = _unless_skipped(
            middleware.process_template_response, lambda request, response: response
        )


def _unless_skipped(hook, skipped):
    def maybe(request, *args):
        return skipped(request, *args) if skips_page_middleware(request) else hook(request, *args)

    return maybe


def pages_only(dotted_path: str) -> type:
    """A subclass of `dotted_path`'s middleware class that the requests `skips_page_middleware` names go past.

    A subclass, so Django's checks and anything else asking for the original still find it; every other
    request sees exactly the original, hooks included.
    """
    inner = import_string(dotted_path)

    class PagesOnly(inner):
        sync_capable = True
        async_capable = False

        def __init__(self, get_response):
            super().__init__(get_response)
            _skip_hooks(self)

        def __call__(self, request):
            if skips_page_middleware(request):
                return self.get_response(request)
            return super().__call__(request)

    PagesOnly.__name__ = PagesOnly.__qualname__ = inner.__name__
    PagesOnly.__module__ = __name__
    return PagesOnly


SessionMiddleware = pages_only("django.contrib.sessions.middleware.SessionMiddleware")
CsrfViewMiddleware = pages_only("django.middleware.csrf.CsrfViewMiddleware")
AuthenticationMiddleware = pages_only("django.contrib.auth.middleware.AuthenticationMiddleware")
MessageMiddleware = pages_only("django.contrib.messages.middleware.MessageMiddleware")


class CorsMiddleware(BaseCorsMiddleware):
    """corsheaders' middleware; a request without an Origin header is answered as corsheaders would, cheaper.

    corsheaders reads the Origin through `request.headers`, which Django builds from every header of the request
    on first use: for a request that sends none (no browser cross-origin call: a server, a script, the pages'
    own same-origin calls) the answer is only `Vary: Origin`, given here from the WSGI environ directly.
    """

    def add_response_headers(self, request, response):
        if request.META.get("HTTP_ORIGIN"):
            return super().add_response_headers(request, response)
        enabled = getattr(request, "_cors_enabled", None)
        if enabled if enabled is not None else self.is_enabled(request):
            patch_vary_headers(response, ("origin",))
        return response
