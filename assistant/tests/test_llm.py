"""The model client: the real openai SDK against the fake OpenAI-compatible server on 127.0.0.1."""

import uuid
from decimal import Decimal

import pytest

from ai_usage.models import ModelCall
from assistant import llm
from plans.quotas import QuotaExceeded

pytestmark = pytest.mark.django_db


def test_complete_text_goes_to_the_base_url_with_the_purpose_model_and_is_accounted(fake_openai, org, settings):
    settings.ASSISTANT_PRICE_INPUT_PER_MTOK = 1.0
    settings.ASSISTANT_PRICE_OUTPUT_PER_MTOK = 2.0
    fake_openai.text("Orders grew 12% last month.", prompt_tokens=1000, completion_tokens=500)
    text = llm.complete_text(organization=org, purpose="chat", system="You write reports.", user="Facts: ...")
    assert text == "Orders grew 12% last month."
    request = fake_openai.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "fake-chat-model"
    assert request["body"]["messages"][0] == {"role": "system", "content": "You write reports."}
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer sk-test-not-a-real-key"
    call = ModelCall.objects.get()
    assert (call.organization, call.purpose, call.ok) == (org, "chat", True)
    assert (call.prompt_tokens, call.completion_tokens) == (1000, 500)
    assert call.cost_usd == Decimal("0.002000")  # 1000 * $1/M + 500 * $2/M


def test_the_sql_purpose_asks_the_sql_model(fake_openai, org):
    fake_openai.text("SELECT 1")
    llm.complete_text(organization=org, purpose="sql", system="s", user="u")
    assert fake_openai.requests[0]["body"]["model"] == "fake-sql-model"


def test_without_a_model_it_names_the_settings(settings, org):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    with pytest.raises(llm.ModelNotConfigured) as caught:
        llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    assert caught.value.status_code == 503
    assert "OPENAI_API_KEY" in caught.value.detail and "OPENAI_BASE_URL" in caught.value.detail


def test_a_local_server_needs_no_key(fake_openai, settings, org):
    settings.OPENAI_API_KEY = ""
    fake_openai.text("hello")
    assert llm.complete_text(organization=org, purpose="chat", system="s", user="u") == "hello"


def test_429_is_retried_with_backoff_then_answers(fake_openai, org):
    fake_openai.status(429, {"error": {"message": "slow down", "type": "rate_limit"}})
    fake_openai.text("fine")
    assert llm.complete_text(organization=org, purpose="chat", system="s", user="u") == "fine"
    assert len(fake_openai.requests) == 2


def test_429_until_the_retries_run_out_is_a_model_error(fake_openai, org, settings):
    settings.OPENAI_MAX_RETRIES = 1
    fake_openai.status(429).status(429)
    with pytest.raises(llm.ModelError) as caught:
        llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    assert caught.value.code == "model_rate_limited" and caught.value.status_code == 502
    assert len(fake_openai.requests) == 2
    assert ModelCall.objects.get().ok is False


def test_5xx_is_retried(fake_openai, org):
    fake_openai.status(503).text("back")
    assert llm.complete_text(organization=org, purpose="chat", system="s", user="u") == "back"


def test_a_timeout_is_a_model_error_naming_the_setting(fake_openai, org, settings):
    settings.OPENAI_TIMEOUT = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.text("too late", delay=1.5)
    with pytest.raises(llm.ModelError) as caught:
        llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    assert caught.value.code == "model_timeout" and "OPENAI_TIMEOUT" in caught.value.detail


def test_an_empty_answer_is_malformed(fake_openai, org):
    fake_openai.text("")
    with pytest.raises(llm.ModelError) as caught:
        llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    assert caught.value.code == "model_malformed"


def test_streaming_yields_deltas_then_the_completion_with_tool_calls_and_usage(fake_openai, org):
    fake_openai.tool_calls(("describe_table", {"table": "public.orders"}), prompt_tokens=7, completion_tokens=3)
    session = llm.Session(organization=org, purpose="chat")
    parts = list(session.stream([{"role": "user", "content": "q"}], tools=[]))
    completion = parts[-1]
    assert isinstance(completion, llm.Completion)
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [("describe_table", '{"table": "public.orders"}')]
    assert (completion.prompt_tokens, completion.completion_tokens) == (7, 3)
    fake_openai.text("three word answer")
    parts = list(session.stream([{"role": "user", "content": "q"}]))
    assert parts[:-1] == ["three", " word", " answer"] and parts[-1].content == "three word answer"
    assert fake_openai.requests[1]["body"]["stream"] is True


def test_the_plans_ai_limit_counts_assistant_requests(fake_openai, org):
    org.plan = "free"
    org.save()
    for _ in range(25):  # the free plan's AI limit
        ModelCall.objects.create(organization=org, purpose="chat", request=uuid.uuid4(), model="m")
    with pytest.raises(QuotaExceeded):
        llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    assert fake_openai.requests == []
