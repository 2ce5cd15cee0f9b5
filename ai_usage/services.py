"""Writes of AI usage, and the plan's AI limit: one counter for the optimizer and the assistant.

A caller checks the limit once per user request (`enforce_ai_limit`) before asking the model, and records
every call it makes (`record_call`) with the tokens the server reported; the cost comes from
`ASSISTANT_PRICE_INPUT_PER_MTOK` and `ASSISTANT_PRICE_OUTPUT_PER_MTOK` (USD per million tokens).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings

from ai_usage import selectors
from ai_usage.models import ModelCall
from plans.quotas import enforce_quota

AI_LIMIT = "ai_optimizations_per_month"  # the plan's key: optimizer AI runs and assistant requests alike
AI_LIMIT_LABEL = "AI requests per month (optimizer and assistant)"


def enforce_ai_limit(*, organization) -> None:
    """QuotaExceeded (402, `quota_exceeded`, naming the limit) when the month's AI requests are used up."""
    enforce_quota(
        organization=organization,
        resource=AI_LIMIT,
        used=selectors.requests_this_month(organization),
        label=AI_LIMIT_LABEL,
    )


def cost_usd(prompt_tokens: int, completion_tokens: int) -> Decimal:
    per_input = Decimal(str(settings.ASSISTANT_PRICE_INPUT_PER_MTOK))
    per_output = Decimal(str(settings.ASSISTANT_PRICE_OUTPUT_PER_MTOK))
    return ((prompt_tokens * per_input + completion_tokens * per_output) / Decimal(1_000_000)).quantize(
        Decimal("0.000001")
    )


def record_call(
    *,
    organization,
    purpose: str,
    request: uuid.UUID,
    model: str,
    project=None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    elapsed_ms: int = 0,
    error: str = "",
) -> ModelCall:
    """One call to the model; `error` empty means it answered (and counts against the limit)."""
    return ModelCall.objects.create(
        organization=organization,
        project=project,
        purpose=purpose,
        request=request,
        model=(model or "")[:200],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_usd(prompt_tokens, completion_tokens),
        elapsed_ms=elapsed_ms,
        ok=not error,
        error=error[:500],
    )
