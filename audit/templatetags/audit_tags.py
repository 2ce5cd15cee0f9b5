"""The audit log as a person reads it: targets as links, metadata without Python syntax."""

from django import template

register = template.Library()


# Audit targets that have a page of their own.
_TARGET_PAGES = {
    "schema_metadata.queryanalysis": "/app/analyses/{}/",
    "projects.project": "/app/projects/{}/",
    "approvals.proposal": "/app/approvals/{}/",
    "workflow.proposal": "/app/approvals/{}/",  # events recorded before approvals had its own app
    "optimizer.optimizationrun": "/app/optimize/{}/",
    "repositories.scanrun": "/app/scans/{}/",
    "optimizer.workloadimport": "/app/workload/{}/",
}


@register.filter
def target_url(event) -> str:
    """The page of an audit event's target, or "" when it has none."""
    pattern = _TARGET_PAGES.get(getattr(event, "target_type", "") or "")
    target_id = getattr(event, "target_id", "")
    return pattern.format(target_id) if pattern and str(target_id).isdigit() else ""


def _readable(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_readable(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value)
    return str(value)


@register.filter
def readable_items(metadata) -> list[tuple[str, str]]:
    """An event's metadata as (label, value) pairs a person reads: yes/no, separators, no Python syntax."""
    if not isinstance(metadata, dict):
        return [("", _readable(metadata))] if metadata else []
    return [(key.replace("_", " "), _readable(value)) for key, value in metadata.items()]
