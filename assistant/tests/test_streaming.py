"""The answer streams: the model's first words reach the client over real HTTP while the model still holds its
last ones. No clock decides it: the fake model server sends its last words only once this test has read the
first from DBooster, so an answer buffered anywhere (the view, the SSE writer, the model client, a middleware)
never gets its first words out, and the fake says it waited in vain."""

import json
import threading

import httpx
import pytest

from accounts.services import token_pair
from assistant.models import Message

ANSWER = "Pagila rents films to customers from two stores, and the rental table holds every rental."


def server_sent_events(lines):
    """(event, data) pairs from the lines of a text/event-stream body."""
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


@pytest.mark.django_db(transaction=True)
def test_the_first_words_arrive_before_the_model_has_sent_its_last(
    live_server, member, project, pagila, fake_openai, settings
):
    settings.OPENAI_TIMEOUT = 120.0  # the fake's hold is what is tested, never the SDK's read timeout
    release = threading.Event()
    fake_openai.text(ANSWER, hold=release)
    headers = {"Authorization": f"Bearer {token_pair(member)['access_token']}", "Accept": "text/event-stream"}
    url = f"{live_server.url}/projects/{project.pk}/assistant/messages"
    seen, before_release = [], None
    with httpx.stream("POST", url, json={"question": "What does pagila do?"}, headers=headers, timeout=180) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream"
        for name, data in server_sent_events(response.iter_lines()):
            seen.append((name, data))
            if name == "delta" and not release.is_set():
                # The first words are here and the model has not sent its last ones yet: release them.
                before_release = "".join(d["text"] for n, d in seen if n == "delta")
                release.set()
    assert fake_openai.hold_expired is False, "the first words did not reach the client before the last were sent"
    assert before_release and ANSWER.startswith(before_release) and before_release != ANSWER
    names = [name for name, _ in seen]
    assert names[0] == "conversation" and names[-1] == "done"
    assert "".join(d["text"] for n, d in seen if n == "delta") == ANSWER == seen[-1][1]["content"]
    assert Message.objects.filter(role="assistant").get().content == ANSWER
