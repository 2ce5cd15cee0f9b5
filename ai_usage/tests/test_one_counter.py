"""One counter for the plan's AI limit: the optimizer's AI calls and the assistant's requests are recorded in the
same place, with their tokens and cost, and each is refused once the other has used the month up."""

import pytest

from ai_usage.models import ModelCall
from assistant.tests.fake_openai import FakeOpenAI, configure
from plans.limits import PLANS

pytestmark = pytest.mark.django_db

AI_ANSWER = {"summary": "Nothing to add.", "indexes": [], "rewrites": [], "settings": []}
LIMIT_NAME = "AI requests per month (optimizer and assistant)"


@pytest.fixture
def fake(settings):
    fake = FakeOpenAI()
    configure(settings, fake)
    settings.OPENAI_MODEL = "fake-optimizer-model"
    settings.ASSISTANT_PRICE_INPUT_PER_MTOK = 2.0
    settings.ASSISTANT_PRICE_OUTPUT_PER_MTOK = 8.0
    yield fake
    fake.close()


@pytest.fixture
def one_ai_request(org, monkeypatch):
    """The free plan allows one AI request a month (the real limit is 25: the test spends one, not 25)."""
    org.plan = "free"
    org.save()
    monkeypatch.setitem(PLANS["free"]["limits"], "ai_optimizations_per_month", 1)


def optimize(client, project):
    response = client.post("/query/optimize", {"query": "SELECT 1", "project": project.pk}, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def ask_sql(client, project):
    return client.post(f"/projects/{project.pk}/assistant/sql", {"question": "one"}, format="json")


def test_an_assistant_request_counts_against_the_optimizers_ai_limit(member_client, project, fake, one_ai_request):
    fake.json({"sql": "SELECT 1", "explanation": "One."})
    assert ask_sql(member_client, project).status_code == 200
    body = optimize(member_client, project)
    assert body["ai"]["status"] == "unavailable" and body["ai"]["reason"].startswith("quota")
    assert LIMIT_NAME in body["ai"]["reason"]
    assert len(fake.requests) == 1  # the optimizer did not ask the model


def test_an_optimizer_ai_call_is_recorded_and_counts_against_the_assistants_limit(
    member_client, project, fake, one_ai_request
):
    fake.json(AI_ANSWER, prompt_tokens=1000, completion_tokens=250)
    assert optimize(member_client, project)["ai"]["status"] == "used"
    call = ModelCall.objects.get()
    assert (call.purpose, call.model, call.ok) == ("optimizer", "fake-model", True)
    assert (call.prompt_tokens, call.completion_tokens, str(call.cost_usd)) == (1000, 250, "0.004000")
    assert call.project_id == project.pk
    refused = ask_sql(member_client, project)
    assert refused.status_code == 402 and refused.json()["code"] == "quota_exceeded"
    assert LIMIT_NAME in refused.json()["detail"] and "allows 1" in refused.json()["detail"]
    assert len(fake.requests) == 1


def test_a_cached_optimizer_answer_costs_nothing_and_is_not_counted(member_client, project, fake):
    fake.json(AI_ANSWER)
    optimize(member_client, project)
    again = optimize(member_client, project)
    assert again["ai"]["reason"] == "cached answer" and ModelCall.objects.count() == 1


def test_a_failed_optimizer_call_is_recorded_but_not_counted(member_client, project, fake, one_ai_request, settings):
    settings.OPENAI_MAX_RETRIES = 0
    fake.status(500)
    assert optimize(member_client, project)["ai"]["status"] == "unavailable"
    call = ModelCall.objects.get()
    assert call.ok is False and "HTTP 500" in call.error
    fake.json({"sql": "SELECT 1", "explanation": "One."})
    assert ask_sql(member_client, project).status_code == 200  # the month's one request is still there


def test_the_billing_page_shows_the_optimizers_and_the_assistants_usage(
    member_client, project, fake, admin_user, browser_for
):
    fake.json(AI_ANSWER, prompt_tokens=1000, completion_tokens=250)
    optimize(member_client, project)
    fake.json({"sql": "SELECT 1", "explanation": "One."}, prompt_tokens=3000, completion_tokens=500)
    ask_sql(member_client, project)
    page = browser_for(admin_user).get("/app/billing/").content.decode()
    usage = page.split('id="ai-usage"', 1)[1].split("</section>", 1)[0]
    assert "Optimizer" in usage and "Questions to SQL" in usage
    assert "4,000" in usage and "750" in usage  # input and output tokens of both
    assert "$0.0140" in usage  # 4,000 * $2/M + 750 * $8/M
    limits = page.split('id="usage"', 1)[1].split("</section>", 1)[0]
    assert "2\n" in limits.split("AI requests this month", 1)[1][:200]
