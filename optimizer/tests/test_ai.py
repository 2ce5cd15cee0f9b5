"""The AI client: the real openai SDK against a fake OpenAI-compatible server on 127.0.0.1."""

import json

import pytest

from optimizer import ai

GOOD = {
    "summary": "Index the filter column.",
    "indexes": [{"sql": "CREATE INDEX ON orders (customer_id)", "rationale": "filter"}],
    "rewrites": [{"sql": "SELECT id FROM orders WHERE customer_id = 42", "rationale": "same"}],
    "settings": [],
}
ARGS = {
    "query": "SELECT id FROM orders WHERE customer_id = 42",
    "plan_summary": {"total_cost": 10},
    "findings": [{"rule_id": "select-star", "severity": "warning", "message": "m", "fix": "f"}],
    "schema": [{"table": "public.orders", "rows": 10, "columns": [{"name": "id", "type": "bigint"}], "indexes": []}],
}


def test_good_answer_with_structured_output(fake_openai, settings):
    settings.OPENAI_MODEL = "local-llama-3"  # any OpenAI-compatible server: the configured model is asked for
    fake_openai.answer(GOOD)
    answer = ai.ask(**ARGS)
    assert answer.ok and answer.model == "fake-model"  # the model that answered, as the server reports it
    assert [s.kind for s in answer.suggestions] == ["index", "rewrite"]
    request = fake_openai.requests[0]
    assert request["path"] == "/v1/chat/completions"  # OPENAI_BASE_URL is where the SDK went
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer sk-test-not-a-real-key"
    body = request["body"]
    assert body["model"] == "local-llama-3" and body["temperature"] == 0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == [
        "summary",
        "indexes",
        "rewrites",
        "settings",
    ]
    prompt = json.loads(body["messages"][1]["content"])
    assert prompt["query"] == ARGS["query"] and prompt["schema"][0]["table"] == "public.orders"


def test_malformed_json_is_a_rules_only_answer(fake_openai):
    fake_openai.raw(200, ai_completion("this is {not json"))
    answer = ai.ask(**ARGS)
    assert not answer.ok and "not valid JSON" in answer.reason


def test_429_is_retried_then_succeeds(fake_openai):
    fake_openai.raw(429, {"error": {"message": "slow down", "type": "rate_limit"}})
    fake_openai.answer(GOOD)
    answer = ai.ask(**ARGS)
    assert answer.ok
    assert len(fake_openai.requests) == 2


def test_5xx_retries_run_out(fake_openai, settings):
    settings.OPENAI_MAX_RETRIES = 1
    fake_openai.raw(503, {"error": {"message": "down"}})
    fake_openai.raw(503, {"error": {"message": "down"}})
    answer = ai.ask(**ARGS)
    assert not answer.ok and "503" in answer.reason
    assert len(fake_openai.requests) == 2


def test_timeout_is_a_rules_only_answer(fake_openai, settings):
    settings.OPENAI_TIMEOUT = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.answer(GOOD, delay=1.5)
    answer = ai.ask(**ARGS)
    assert not answer.ok and "did not answer" in answer.reason


def test_no_key_means_no_call(settings):
    settings.OPENAI_API_KEY = ""
    answer = ai.ask(**ARGS)
    assert not answer.ok and "OPENAI_API_KEY" in answer.reason


def ai_completion(content):
    from optimizer.tests.conftest import chat_completion

    return chat_completion(content)


@pytest.mark.parametrize("bad", ['{"indexes": "x"}', '{"rewrites": [{"rationale": "no sql"}]}', "[]"])
def test_answers_that_break_the_schema_are_refused(bad):
    with pytest.raises(ValueError):
        ai.parse_answer(bad)
