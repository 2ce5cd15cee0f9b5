"""Rate limits for every endpoint class, per account and per address, in a store every worker shares.

`settings.RATE_LIMITS` names each class (sign_in, sign_up, codes, password_reset, sql, optimize,
assistant, scans) and its limits per `account` (the signed-in user, or the e-mail address a
sign-in or reset names) and per `address` (the client's IP). A request over either limit is
refused with 429 and `Retry-After`, the same for the API and the pages.

The counters live in the cache named `ratelimit`: PostgreSQL (Django's database cache table,
made by `manage.py createcachetable`) or Redis when REDIS_URL is set. Each hit is one atomic
statement (an upsert, or INCR), so concurrent workers never lose a count. The window is fixed:
it starts at the first hit and `Retry-After` is the time left in it.

API views opt in with `throttle_classes = [RateLimit]` and `rate_limit_scope = "sql"` (and
`rate_limit_account_field = "email"` on anonymous endpoints, `rate_limit_methods = ("PATCH",)` to limit
only some methods); pages with `@rate_limited("sign_in")`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from dbooster.errors import TooManyRequests

CACHE_ALIAS = "ratelimit"
KINDS = ("account", "address")
_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"30/min"`, `"10/hour"`, `"5/10min"` (five per ten minutes)."""
        match = _RATE.match(str(text).lower())
        if not match or match.group(3) not in _UNITS:
            raise ValueError(f"Rate {text!r} is not like '30/min', '10/hour' or '5/10min'.")
        return cls(int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3)])

    def __str__(self) -> str:
        for name, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if self.seconds % seconds == 0:
                n = self.seconds // seconds
                return f"{self.count} per {name}" if n == 1 else f"{self.count} per {n} {name}s"
        return f"{self.count} per {self.seconds} seconds"


def limits_for(scope: str) -> dict[str, Rate]:
    """The limits of endpoint class `scope`, by kind ("account", "address")."""
    try:
        configured = settings.RATE_LIMITS[scope]
    except KeyError:
        raise ValueError(f"No rate limits configured for {scope!r}; add it to RATE_LIMITS.") from None
    return {kind: Rate.parse(text) for kind, text in configured.items() if kind in KINDS and text}


def client_address(request) -> str:
    """The caller's IP: REMOTE_ADDR, or the address RATE_LIMIT_TRUSTED_PROXIES hops back in X-Forwarded-For."""
    hops = getattr(settings, "RATE_LIMIT_TRUSTED_PROXIES", 0)
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        # One IPv6 host usually holds a whole /64: count the network, not each of its addresses.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --- the shared store ---------------------------------------------------------------------------


def _hit_database(cache: DatabaseCache, windows: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    # The table is UNLOGGED (accounts migration 0006): a hit writes no WAL, so its commit needs no disk flush.
    conn = connections[router.db_for_write(cache.cache_model_class)]
    return _upsert(conn, conn.ops.quote_name(cache._table), windows)


def _upsert(conn, table: str, windows: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    # Every window of a request in one statement (one round trip, one commit); keys in a fixed order so two
    # requests locking the same rows never wait on each other crosswise.
    windows = sorted(dict(windows).items())
    rows = ", ".join(["(%s, '1', clock_timestamp() + make_interval(secs => %s))"] * len(windows))
    with conn.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {table} AS t (cache_key, value, expires)
            VALUES {rows}
            ON CONFLICT (cache_key) DO UPDATE SET
              value = CASE WHEN t.expires <= clock_timestamp() THEN '1' ELSE (t.value::bigint + 1)::text END,
              expires = CASE WHEN t.expires <= clock_timestamp() THEN EXCLUDED.expires ELSE t.expires END
            RETURNING cache_key, value::bigint, GREATEST(1, ceil(extract(epoch FROM expires - clock_timestamp())))::int
            """,
            [value for window in windows for value in window],
        )
        counts = {key: (count, left) for key, count, left in cur.fetchall()}
    return counts


def delete_expired_windows() -> int:
    """Delete the database store's windows that ended over an hour ago (the `dbooster.delete_expired_rate_limits`
    task, every ten minutes: not in a request, whose statements stay the same every time). Redis expires its own."""
    cache = caches[CACHE_ALIAS]
    if not isinstance(cache, DatabaseCache):
        return 0
    conn = connections[router.db_for_write(cache.cache_model_class)]
    with conn.cursor() as cur:
        cur.execute(
            f"DELETE FROM {conn.ops.quote_name(cache._table)} WHERE expires < clock_timestamp() - interval '1 hour'"
        )
        return cur.rowcount


def _hit_redis(cache, windows: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    client = cache._cache.get_client(windows[0][0], write=True)
    pipe = client.pipeline(transaction=True)
    for key, seconds in windows:
        pipe.set(key, 0, ex=seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
    replies = pipe.execute()
    return {key: (int(replies[3 * i + 1]), max(1, int(replies[3 * i + 2]))) for i, (key, _) in enumerate(windows)}


def hit_many(windows: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """Count one hit on each (key, seconds) window at once: [(hits in the window so far, seconds left in it)]."""
    cache = caches[CACHE_ALIAS]
    full = [(cache.make_and_validate_key(key), seconds) for key, seconds in windows]
    if isinstance(cache, DatabaseCache):
        counts = _hit_database(cache, full)
    elif type(cache).__name__ == "RedisCache":
        counts = _hit_redis(cache, full)
    else:
        # Any other backend (a developer's locmem): add + incr is close enough where one process serves.
        counts = {}
        for key, seconds in full:
            cache.add(key, 0, seconds)
            counts[key] = (cache.incr(key), seconds)
    return [counts[key] for key, _ in full]


def hit(key: str, seconds: int) -> tuple[int, int]:
    """Count one hit on `key` in a window of `seconds`: (hits in the window so far, seconds left in it)."""
    return hit_many([(key, seconds)])[0]


def _ident(value) -> str:
    # Addresses and e-mails are hashed so the store holds no personal data and keys stay short.
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:32]


class RateLimited(TooManyRequests):
    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, code="rate_limited")
        self.retry_after = retry_after


_NOUNS = {
    "sign_in": "sign-in attempts",
    "sign_up": "sign-ups",
    "codes": "code requests",
    "password_reset": "password reset requests",
    "sql": "queries run",
    "optimize": "optimizations",
    "assistant": "assistant requests",
    "scans": "scans",
}


def check(scope: str, *, address: str | None, account: str | None) -> None:
    """Count this request against `scope`; raise RateLimited (with the wait) once any limit is passed."""
    limits = [(kind, rate, address if kind == "address" else account) for kind, rate in limits_for(scope).items()]
    limits = [(kind, rate, ident) for kind, rate, ident in limits if ident]
    if not limits:
        return
    windows = [
        (f"rl:{scope}:{kind}:{rate.count}/{rate.seconds}:{_ident(ident)}", rate.seconds) for kind, rate, ident in limits
    ]
    refused = [
        (left, kind, rate)
        for (kind, rate, _), (count, left) in zip(limits, hit_many(windows), strict=True)
        if count > rate.count
    ]
    if refused:
        left, kind, rate = max(refused, key=lambda item: item[0])
        who = "this account" if kind == "account" else "this address"
        raise RateLimited(
            f"Too many {_NOUNS.get(scope, scope)} from {who} (limit {rate}); try again in {left} seconds.",
            retry_after=left,
        )


def request_account(request, account_field: str | None = None) -> str | None:
    """Whose limit a request counts against: the signed-in user, else the address it names in `account_field`."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if account_field:
        data = getattr(request, "data", None)
        if data is None or not hasattr(data, "get"):
            data = request.POST
        value = data.get(account_field) if hasattr(data, "get") else None
        if isinstance(value, str) and value.strip():
            return f"email:{value.strip().lower()}"
    return None


class RateLimit(BaseThrottle):
    """DRF throttle for `view.rate_limit_scope`, per account and per address (see the module docstring)."""

    def allow_request(self, request, view):
        scope = getattr(view, "rate_limit_scope", None)
        methods = getattr(view, "rate_limit_methods", None)
        if scope is None or (methods is not None and request.method not in methods):
            return True
        try:
            check(
                scope,
                address=client_address(request),
                account=request_account(request, getattr(view, "rate_limit_account_field", None)),
            )
        except RateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.detail, code="rate_limited") from None
        return True


def rate_limited(scope: str, *, account_field: str | None = None, methods=("POST",)):
    """Page decorator: the same limits as the API for `scope`; over them, a 429 page with Retry-After."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                try:
                    check(scope, address=client_address(request), account=request_account(request, account_field))
                except RateLimited as exc:
                    context = {"title": "Too many requests", "message": exc.detail, "status": 429}
                    response = render(request, "accounts/page_error.html", context, status=429)
                    response["Retry-After"] = str(exc.retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- OpenAPI ----------------------------------------------------------------------------------------

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string", "enum": ["rate_limited"]}},
    "required": ["detail", "code"],
}


def _limited_scope(callback, method: str) -> str | None:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None or RateLimit not in getattr(view_class, "throttle_classes", ()):
        return None
    methods = getattr(view_class, "rate_limit_methods", None)
    if methods is not None and method.upper() not in methods:
        return None
    return getattr(view_class, "rate_limit_scope", None)


def document_rate_limits(result, generator, request, public):
    """drf-spectacular hook: every rate-limited operation documents its 429, limits and Retry-After."""
    result.setdefault("components", {}).setdefault("schemas", {})["RateLimited"] = _ERROR_SCHEMA
    for path, _regex, method, callback in generator.endpoints:
        scope = _limited_scope(callback, method)
        operation = result["paths"].get(path.rstrip("/") or "/", {}).get(method.lower())
        if scope is None or operation is None:
            continue
        limits = ", ".join(f"{rate} per {kind}" for kind, rate in limits_for(scope).items())
        operation.setdefault("responses", {})["429"] = {
            "description": f"Rate limit `{scope}` passed ({limits}).",
            "headers": {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the limit resets."}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RateLimited"}}},
        }
    return result
