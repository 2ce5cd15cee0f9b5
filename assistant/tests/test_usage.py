"""Token and cost accounting per organization: shown on the billing page and counted against the AI limit."""

import pytest

from assistant import llm

pytestmark = pytest.mark.django_db


def test_the_billing_page_shows_tokens_cost_and_the_ai_limit_used(fake_openai, org, admin_user, browser_for, settings):
    settings.ASSISTANT_PRICE_INPUT_PER_MTOK = 2.5
    settings.ASSISTANT_PRICE_OUTPUT_PER_MTOK = 10.0
    fake_openai.text("one", prompt_tokens=4000, completion_tokens=1000)
    fake_openai.text("two", prompt_tokens=2000, completion_tokens=500)
    llm.complete_text(organization=org, purpose="chat", system="s", user="u")
    llm.complete_text(organization=org, purpose="sql", system="s", user="u")
    page = browser_for(admin_user).get("/app/billing/").content.decode()
    usage = page.split('id="ai-usage"', 1)[1].split("</section>", 1)[0]
    assert "6,000" in usage and "1,500" in usage  # input and output tokens in total
    assert "$0.0300" in usage  # 6,000 * $2.5/M + 1,500 * $10/M
    limits = page.split('id="usage"', 1)[1].split("</section>", 1)[0]
    assert "AI requests this month" in limits and "2\n" in limits.split("AI requests this month", 1)[1][:200]
