"""Recording audit events. Call `record(...)` from services, after the action."""

from __future__ import annotations

import re

from audit.models import AuditEvent

_SECRET_KEY_RE = re.compile(r"(password|secret|token|api_key|apikey|url|dsn|conninfo|authorization)", re.I)
_URL_CREDENTIALS_RE = re.compile(r"(\w+://)([^:/@\s]+):([^@\s]+)@")
# libpq key=value conninfo and URL query parameters: password=..., sslpassword=...
_PASSWORD_PARAM_RE = re.compile(r"((?:ssl)?password\s*=\s*)('[^']*'|[^\s&;]+)", re.I)


def scrub(value):
    """Metadata without secrets: secret-looking keys are dropped, URL passwords masked."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _SECRET_KEY_RE.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _PASSWORD_PARAM_RE.sub(r"\1***", _URL_CREDENTIALS_RE.sub(r"\1\2:***@", value))
    return value


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def event(
    *,
    action: str,
    actor=None,
    organization=None,
    target=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    request=None,
    metadata: dict | None = None,
) -> AuditEvent:
    """The audit line `record` writes, not yet saved: for a service that writes it with its own rows, in one
    statement (`optimizer.services` stores a run and its line together)."""
    if organization is None and actor is not None and getattr(actor, "is_authenticated", False):
        organization = actor.organization
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        organization=organization,
        actor=actor if is_user else None,
        actor_email=(actor.email if is_user else "")[:254],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=scrub(str(target))[:300] if target is not None else "",
        outcome=outcome,
        ip_address=client_ip(request),
        metadata=scrub(metadata or {}),
    )


def record(**fields) -> AuditEvent:
    """Write the audit line of an action (the keywords of `event`)."""
    line = event(**fields)
    line.save()
    return line
