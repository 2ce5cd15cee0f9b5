"""Template filters for the optimizer's texts: rule docs, findings, rationales and the figures of a suggestion."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def inline_code(text) -> str:
    """Escape, then show `backticked` spans as <code> (rule and rewrite texts use Markdown-style inline code)."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text or "")))  # noqa: S308 - escaped first


@register.filter
def cost_ratio(suggestion) -> float | None:
    """How many times lower the planner's cost estimate is with the suggestion, or None if it is not lower."""
    before, after = suggestion.cost_before, suggestion.cost_after
    if not before or after is None or after >= before:
        return None
    return round(before / max(after, 0.01), 1)
