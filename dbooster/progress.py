"""The step a long request is at, for the page that waits on it.

A form carries a random token; the view reports each step under (user, token) in the cache while it works,
and the waiting page polls `/app/progress/<token>/`. With several server processes the cache must be shared
(CACHES): with the default per-process cache a poll that reaches another process just sees no step.
"""

from __future__ import annotations

import re
import uuid

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse

TTL_SECONDS = 600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_token() -> str:
    return uuid.uuid4().hex


def _key(user_id: int, token: str) -> str:
    return f"progress:{user_id}:{token}"


def reporter(user, token: str | None):
    """A callback that records a step for `user` under `token`; a no-op without a valid token."""
    if not token or not _TOKEN.match(token):
        return lambda step: None
    return lambda step: cache.set(_key(user.pk, token), step, TTL_SECONDS)


@login_required
def progress_view(request, token: str):
    if not _TOKEN.match(token):
        return JsonResponse({"detail": "Not a progress token.", "code": "not_found"}, status=404)
    return JsonResponse({"step": cache.get(_key(request.user.pk, token))})
