"""The `assistant` rate-limit class covers chat and SQL (per account): 429 with Retry-After."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ["messages", "sql"])
def test_chat_and_sql_are_rate_limited(member_client, project, settings, route):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "assistant": {"account": "2/min", "address": "100/min"}}
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None  # 503 answers still count: the limit is on asking
    url = f"/projects/{project.pk}/assistant/{route}"
    statuses = [member_client.post(url, {"question": "q"}, format="json").status_code for _ in range(3)]
    assert statuses == [503, 503, 429]
    refused = member_client.post(url, {"question": "q"}, format="json")
    assert refused.json()["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
