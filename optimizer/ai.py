"""The AI side of the optimizer: any OpenAI-compatible server through the openai SDK.

The prompt carries the query, the plan summary, the rule findings and only the schema
the query touches (columns, indexes, sizes): never credentials, URLs or row data.
The answer is structured JSON (response_format json_schema). Failures never fail the
request: `ask` returns an AIAnswer with ok=False and the reason, and the caller goes on
with the rule engine's suggestions. Retries on 429/5xx with backoff are the SDK's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are a PostgreSQL performance expert. Given one SQL query, its plan summary, findings from a rule "
    "engine and the schema of the tables it touches, propose concrete fixes: indexes (a CREATE INDEX "
    "statement each), rewrites (a complete SQL query that returns exactly the same rows and columns), and "
    "settings. Every rewrite must be semantically identical to the original. Answer only with JSON that "
    "matches the schema; use empty lists when you have nothing to propose."
)

# Each proposal, whatever its kind: the SQL to apply and why.
_PROPOSALS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["sql", "rationale"],
        "properties": {"sql": {"type": "string"}, "rationale": {"type": "string"}},
    },
}

RESPONSE_SCHEMA = {
    "name": "optimization",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["summary", "indexes", "rewrites", "settings"],
        "properties": {
            "summary": {"type": "string"},
            "indexes": _PROPOSALS,
            "rewrites": _PROPOSALS,
            "settings": _PROPOSALS,
        },
    },
}

MAX_ITEMS = 5  # per kind: a model that rambles does not flood the answer


@dataclass
class AISuggestion:
    kind: str  # index | rewrite | setting
    sql: str
    rationale: str


@dataclass
class AIAnswer:
    ok: bool
    reason: str = ""
    model: str = ""
    summary: str = ""
    suggestions: list[AISuggestion] = field(default_factory=list)
    cached: bool = False
    # What the call cost, as the server reported it (recorded by ai_usage against the plan's AI limit).
    prompt_tokens: int = 0
    completion_tokens: int = 0
    elapsed_ms: int = 0

    def to_cache(self) -> dict:
        return {
            "summary": self.summary,
            "suggestions": [{"kind": s.kind, "sql": s.sql, "rationale": s.rationale} for s in self.suggestions],
        }

    @classmethod
    def from_cache(cls, data: dict, model: str) -> AIAnswer:
        return cls(
            ok=True,
            model=model,
            summary=data.get("summary", ""),
            suggestions=[AISuggestion(**s) for s in data.get("suggestions", [])],
            cached=True,
        )


def configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def schema_version(schema_context: list[dict]) -> str:
    """A digest of what the prompt says about the schema: a schema change asks again."""
    text = json.dumps(schema_context, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def build_messages(*, query: str, plan_summary: dict | None, findings: list[dict], schema: list[dict]) -> list[dict]:
    """The chat messages. `schema` is the touched tables only, as produced by `schema_context`."""
    user = {
        "query": query,
        "plan_summary": plan_summary or "no plan (no database connection)",
        "findings": [
            {k: f.get(k) for k in ("rule_id", "severity", "message", "fix") if f.get(k) is not None} for f in findings
        ],
        "schema": schema,
    }
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(user, default=str)},
    ]


def parse_answer(content: str | None) -> tuple[str, list[AISuggestion]]:
    """The model's JSON as suggestions; ValueError when it is not what the schema asked for."""
    if not content:
        raise ValueError("the model returned an empty answer")
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the model's answer is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("the model's answer is not a JSON object")
    suggestions: list[AISuggestion] = []
    for key, kind in (("indexes", "index"), ("rewrites", "rewrite"), ("settings", "setting")):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise ValueError(f"'{key}' in the model's answer is not a list")
        for item in items[:MAX_ITEMS]:
            if not isinstance(item, dict) or not isinstance(item.get("sql"), str) or not item["sql"].strip():
                raise ValueError(f"an item of '{key}' has no SQL")
            suggestions.append(AISuggestion(kind, item["sql"].strip(), str(item.get("rationale", ""))[:2000]))
    summary = data.get("summary", "")
    return (summary if isinstance(summary, str) else ""), suggestions


def ask(*, query: str, plan_summary: dict | None, findings: list[dict], schema: list[dict]) -> AIAnswer:
    """One call to the model. Never raises: failures come back as ok=False with the reason."""
    model = settings.OPENAI_MODEL
    if not configured():
        return AIAnswer(ok=False, model=model, reason="no OpenAI API key is configured (OPENAI_API_KEY)")
    import openai  # heavy, and only needed once a key is configured: loaded on the first call

    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.OPENAI_TIMEOUT,
        max_retries=settings.OPENAI_MAX_RETRIES,
    )
    started = time.monotonic()
    try:
        completion = client.chat.completions.create(
            model=model,
            messages=build_messages(query=query, plan_summary=plan_summary, findings=findings, schema=schema),
            response_format={"type": "json_schema", "json_schema": RESPONSE_SCHEMA},
            temperature=0,
        )
    except openai.APITimeoutError:
        return AIAnswer(
            ok=False, model=model, reason=f"the AI provider did not answer within {settings.OPENAI_TIMEOUT}s"
        )
    except openai.RateLimitError:
        return AIAnswer(ok=False, model=model, reason="the AI provider kept rate-limiting (429) after retries")
    except openai.APIStatusError as exc:
        return AIAnswer(ok=False, model=model, reason=f"the AI provider failed with HTTP {exc.status_code}")
    except openai.APIError as exc:
        return AIAnswer(ok=False, model=model, reason=f"the AI provider could not be reached ({type(exc).__name__})")
    except Exception as exc:  # noqa: BLE001 - the request must never fail because of the AI
        logger.warning("AI call failed: %s", type(exc).__name__)
        return AIAnswer(ok=False, model=model, reason=f"the AI call failed ({type(exc).__name__})")
    usage = getattr(completion, "usage", None)
    spent = {
        "model": getattr(completion, "model", None) or model,
        "prompt_tokens": (getattr(usage, "prompt_tokens", 0) or 0) if usage else 0,
        "completion_tokens": (getattr(usage, "completion_tokens", 0) or 0) if usage else 0,
        "elapsed_ms": int((time.monotonic() - started) * 1000),
    }
    try:
        content = completion.choices[0].message.content
        summary, suggestions = parse_answer(content)
    except (ValueError, IndexError, AttributeError) as exc:
        return AIAnswer(ok=False, reason=str(exc), **spent)
    return AIAnswer(ok=True, summary=summary, suggestions=suggestions, **spent)
