"""The assistant's model client: any OpenAI-compatible server through the openai SDK.

`OPENAI_BASE_URL` points the SDK at any compatible server (Ollama, vLLM, llama.cpp's server, Azure); each
purpose has its own model (`ASSISTANT_CHAT_MODEL`, `ASSISTANT_SQL_MODEL`; the report uses the chat model).
The SDK retries 429 and 5xx answers with exponential backoff (honouring Retry-After) up to
`OPENAI_MAX_RETRIES`, and gives up on a request after `OPENAI_TIMEOUT` seconds.

Every call is recorded by `ai_usage` (tokens, cost, time, outcome) for its organization, where the optimizer's
calls are recorded too. One `Session` is one user request (a chat answer, a SQL question, a report): the plan's
AI limit (`ai_usage.services.enforce_ai_limit`, one counter for the optimizer and the assistant) counts
requests, and a session may make several calls (tool rounds, a SQL repair).

Errors: `ModelNotConfigured` (503, names the settings to set) and `ModelError` (502, says what went wrong;
`code` tells a timeout, a rate limit, an HTTP failure and a malformed answer apart).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import openai
from django.conf import settings

from ai_usage import services as ai_usage
from ai_usage.models import Purpose
from dbooster.errors import ServiceUnavailable, UpstreamError

SETTINGS_TO_SET = (
    "OPENAI_API_KEY (for api.openai.com), or OPENAI_BASE_URL for any OpenAI-compatible server "
    "(Ollama, vLLM, llama.cpp's server, Azure); optionally ASSISTANT_CHAT_MODEL and ASSISTANT_SQL_MODEL"
)
NO_KEY_PLACEHOLDER = "not-needed"  # local servers take any key, the SDK insists on one


class ModelNotConfigured(ServiceUnavailable):
    code = "model_not_configured"

    def __init__(self, detail: str | None = None):
        super().__init__(
            detail or f"No AI model is configured. Set {SETTINGS_TO_SET} in the environment or .env, then restart.",
            extra={"settings": ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ASSISTANT_CHAT_MODEL", "ASSISTANT_SQL_MODEL"]},
        )


class ModelError(UpstreamError):
    code = "model_error"


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text as the model wrote it (may be malformed: the caller decides)

    def as_message(self) -> dict:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class Completion:
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    elapsed_ms: int = 0

    def assistant_message(self) -> dict:
        message: dict = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            message["tool_calls"] = [call.as_message() for call in self.tool_calls]
        return message


def configured() -> bool:
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def model_for(purpose: str) -> str:
    if purpose == Purpose.SQL:
        return settings.ASSISTANT_SQL_MODEL
    return settings.ASSISTANT_CHAT_MODEL


def require_configured() -> None:
    if not configured():
        raise ModelNotConfigured()


def _client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or NO_KEY_PLACEHOLDER,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.OPENAI_TIMEOUT,
        max_retries=settings.OPENAI_MAX_RETRIES,
    )


def _as_model_error(exc: Exception) -> ModelError:
    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            f"The AI model did not answer within {settings.OPENAI_TIMEOUT:g}s (OPENAI_TIMEOUT).", code="model_timeout"
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelError(
            f"The AI provider kept answering 429 (rate limited) after {settings.OPENAI_MAX_RETRIES} retries.",
            code="model_rate_limited",
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelError(f"The AI provider failed with HTTP {exc.status_code}.", code="model_http_error")
    if isinstance(exc, openai.APIConnectionError):
        return ModelError("The AI provider could not be reached (check OPENAI_BASE_URL).", code="model_unreachable")
    return ModelError(f"The AI call failed ({type(exc).__name__}).")


class Session:
    """One user request to the model: checks the configuration and the plan's AI limit once, records each call."""

    def __init__(self, *, organization, purpose: str, project=None):
        require_configured()
        ai_usage.enforce_ai_limit(organization=organization)
        self.organization = organization
        self.project = project
        self.purpose = purpose
        self.model = model_for(purpose)
        self.request = uuid.uuid4()
        self.client = _client()

    def _record(self, completion: Completion | None, error: ModelError | None, started: float) -> None:
        elapsed = int((time.monotonic() - started) * 1000)
        prompt = completion.prompt_tokens if completion else 0
        output = completion.completion_tokens if completion else 0
        ai_usage.record_call(
            organization=self.organization,
            project=self.project,
            purpose=self.purpose,
            request=self.request,
            model=completion.model if completion and completion.model else self.model,
            prompt_tokens=prompt,
            completion_tokens=output,
            elapsed_ms=elapsed,
            error=error.detail if error else "",
        )
        if completion is not None:
            completion.elapsed_ms = elapsed

    def complete(self, messages: list[dict], *, tools: list[dict] | None = None, json_output: bool = False):
        """One completion, not streamed."""
        started = time.monotonic()
        kwargs: dict = {"model": self.model, "messages": messages, "temperature": 0}
        if tools:
            kwargs["tools"] = tools
        if json_output:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            answer = self.client.chat.completions.create(**kwargs)
            completion = _completion_of(answer, self.model)
        except (openai.OpenAIError, ModelError) as exc:
            error = exc if isinstance(exc, ModelError) else _as_model_error(exc)
            self._record(None, error, started)
            raise error from None
        self._record(completion, None, started)
        return completion

    def stream(self, messages: list[dict], *, tools: list[dict] | None = None) -> Iterator[str | Completion]:
        """Text deltas as they come (str), then the whole `Completion` (text, tool calls, usage) last."""
        started = time.monotonic()
        kwargs: dict = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            kwargs["tools"] = tools
        completion = Completion(model=self.model)
        calls: dict[int, ToolCall] = {}
        text: list[str] = []
        try:
            for chunk in self.client.chat.completions.create(**kwargs):
                completion.model = chunk.model or completion.model
                if chunk.usage is not None:
                    completion.prompt_tokens = chunk.usage.prompt_tokens or 0
                    completion.completion_tokens = chunk.usage.completion_tokens or 0
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is None:
                        continue
                    if delta.content:
                        text.append(delta.content)
                        yield delta.content
                    for part in delta.tool_calls or []:
                        call = calls.setdefault(part.index, ToolCall(id="", name="", arguments=""))
                        call.id = part.id or call.id
                        if part.function is not None:
                            call.name += part.function.name or ""
                            call.arguments += part.function.arguments or ""
        except openai.OpenAIError as exc:
            error = _as_model_error(exc)
            self._record(None, error, started)
            raise error from None
        completion.content = "".join(text)
        completion.tool_calls = [
            ToolCall(id=call.id or f"call_{index}", name=call.name, arguments=call.arguments)
            for index, call in sorted(calls.items())
        ]
        self._record(completion, None, started)
        yield completion


def _completion_of(answer, model: str) -> Completion:
    try:
        message = answer.choices[0].message
    except (AttributeError, IndexError, TypeError):
        raise ModelError("The AI model's answer has no message.", code="model_malformed") from None
    usage = getattr(answer, "usage", None)
    return Completion(
        content=message.content or "",
        tool_calls=[
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
            for call in (message.tool_calls or [])
        ],
        model=getattr(answer, "model", None) or model,
        prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        completion_tokens=(usage.completion_tokens or 0) if usage else 0,
    )


def complete_text(*, organization, purpose: str, system: str, user: str, project=None) -> str:
    """Plain text from the model for `purpose`. Raises ModelNotConfigured or ModelError (an empty answer too)."""
    session = Session(organization=organization, purpose=purpose, project=project)
    completion = session.complete([{"role": "system", "content": system}, {"role": "user", "content": user}])
    if not completion.content.strip():
        raise ModelError("The AI model returned an empty answer.", code="model_malformed")
    return completion.content


def parse_json_object(text: str) -> dict:
    """The model's JSON answer as a dict; ModelError (model_malformed) when it is not one."""
    cleaned = text.strip()
    if cleaned.startswith("```"):
        cleaned = cleaned.strip("`")
        cleaned = cleaned.split("\n", 1)[1] if "\n" in cleaned else cleaned
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ModelError(f"The AI model's answer is not valid JSON ({exc.msg}).", code="model_malformed") from None
    if not isinstance(data, dict):
        raise ModelError("The AI model's answer is not a JSON object.", code="model_malformed")
    return data
