"""Chat: the answer streams as server-sent events, tools run through our guards, everything is stored."""

import json

import pytest

from ai_usage.models import ModelCall
from approvals.models import Proposal
from assistant.models import Conversation, Message
from workbench.models import SqlRun

pytestmark = pytest.mark.django_db


def events_of(response) -> list[tuple[str, dict]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join(response.streaming_content).decode()
    found = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((lines["event"], json.loads(lines["data"])))
    return found


def ask(client, project, question, **extra):
    return client.post(
        f"/projects/{project.pk}/assistant/messages",
        {"question": question, **extra},
        format="json",
        HTTP_ACCEPT="text/event-stream",  # what a server-sent events client sends; errors still come as JSON
    )


def test_the_answer_streams_and_is_stored_with_timings(member_client, project, pagila, fake_openai):
    fake_openai.text("Pagila rents films to customers from two stores.")
    events = events_of(ask(member_client, project, "Which films are rented most often?"))
    names = [name for name, _ in events]
    assert names[0] == "conversation" and names[-1] == "done"
    deltas = "".join(data["text"] for name, data in events if name == "delta")
    assert deltas == "Pagila rents films to customers from two stores."
    assert names.count("delta") > 3  # streamed in pieces, not one block
    conversation = Conversation.objects.get()
    roles = list(conversation.messages.values_list("role", flat=True))
    assert roles == ["user", "assistant"]
    answer = conversation.messages.last()
    assert answer.content == deltas and answer.elapsed_ms is not None and answer.model == "fake-model"
    request = fake_openai.requests[0]["body"]
    assert request["stream"] is True and request["model"] == "fake-chat-model"
    assert {t["function"]["name"] for t in request["tools"]} >= {"run_query", "describe_table", "propose_change"}
    # Grounded: the prompt carries the tables the question needs from the synced schema, not the credentials.
    system = request["messages"][0]["content"]
    assert "public.rental" in system and "public.film" in system
    assert pagila.url not in json.dumps(request)
    call = ModelCall.objects.get()
    assert call.purpose == "chat" and call.prompt_tokens == 120 and call.completion_tokens == 30


def test_tool_calls_run_our_guarded_tools_and_rows_stay_private_by_default(member_client, project, pagila, fake_openai):
    fake_openai.tool_calls(("describe_table", {"table": "public.film"}))
    fake_openai.tool_calls(("run_query", {"sql": "SELECT rating, count(*) FROM film GROUP BY rating ORDER BY 1"}))
    fake_openai.text("There are 5 ratings; PG-13 has the most films.")
    events = events_of(ask(member_client, project, "How many films per rating?"))
    results = [data for name, data in events if name == "tool_result"]
    assert [r["name"] for r in results] == ["describe_table", "run_query"]
    described = results[0]["result"]
    assert "rental_rate" in [c["name"] for c in described["columns"]]
    ran = results[1]["result"]
    assert ran["columns"] == ["rating", "count"] and ran["row_count"] == 5
    assert "rows" not in ran and "rows_withheld" in ran  # the project does not share row values
    # What the model saw is what we sent: the tool message of the third request.
    third = fake_openai.requests[2]["body"]["messages"]
    tool_messages = [m for m in third if m["role"] == "tool"]
    assert json.loads(tool_messages[-1]["content"]) == ran
    assert "PG-13" not in json.dumps(third[1:])
    # The SQL it ran went through the workbench (history and audit) and is stored on the answer.
    assert SqlRun.objects.get().sql.startswith("SELECT rating")
    done = events[-1][1]
    assert done["sql"][0]["sql"].startswith("SELECT rating") and done["sql"][0]["row_count"] == 5
    roles = list(Message.objects.values_list("role", flat=True))
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert Message.objects.filter(role="tool", tool_name="run_query").get().sql[0]["run_id"]


def test_row_values_reach_the_model_only_when_the_project_allows_it(
    admin_client, member_client, project, pagila, fake_openai
):
    assert admin_client.patch(
        f"/projects/{project.pk}/assistant/settings", {"share_row_values": True}, format="json"
    ).json() == {"share_row_values": True}
    fake_openai.tool_calls(("run_query", {"sql": "SELECT rating FROM film GROUP BY rating ORDER BY 1"}))
    fake_openai.text("done")
    events_of(ask(member_client, project, "ratings?"))
    tool = [m for m in fake_openai.requests[1]["body"]["messages"] if m["role"] == "tool"][0]
    assert sorted(json.loads(tool["content"])["rows"]) == [["G"], ["NC-17"], ["PG"], ["PG-13"], ["R"]]


def test_the_row_cap_holds_for_the_model(admin_client, member_client, project, pagila, fake_openai, settings):
    settings.ASSISTANT_ROW_CAP = 3
    admin_client.patch(f"/projects/{project.pk}/assistant/settings", {"share_row_values": True}, format="json")
    fake_openai.tool_calls(("run_query", {"sql": "SELECT film_id FROM film ORDER BY 1"}))
    fake_openai.text("done")
    events = events_of(ask(member_client, project, "films?"))
    result = next(d["result"] for n, d in events if n == "tool_result")
    assert result["rows"] == [[1], [2], [3]] and result["truncated"] is True


def test_a_write_is_refused_by_the_query_tool(member_client, project, pagila, fake_openai):
    fake_openai.tool_calls(("run_query", {"sql": "DELETE FROM rental"}))
    fake_openai.text("I cannot delete rows.")
    events = events_of(ask(member_client, project, "delete all rentals"))
    result = next(d["result"] for n, d in events if n == "tool_result")
    assert result["code"] == "not_read_only"
    assert SqlRun.objects.count() == 0


def test_malformed_tool_arguments_and_unknown_tools_are_answers_not_crashes(
    member_client, project, pagila, fake_openai
):
    fake_openai.tool_calls(("run_query", "{not json"), ("drop_everything", {}))
    fake_openai.text("Sorry.")
    events = events_of(ask(member_client, project, "x"))
    codes = [d["result"]["code"] for n, d in events if n == "tool_result"]
    assert codes == ["invalid_arguments", "unknown_tool"] and events[-1][0] == "done"


def test_a_ddl_proposal_becomes_a_draft_in_approvals(member_client, project, pagila, fake_openai):
    ddl = "CREATE INDEX rental_return_date_idx ON rental (return_date)"
    fake_openai.tool_calls(("propose_change", {"kind": "index", "sql": ddl, "reason": "Late returns filter on it."}))
    fake_openai.text("I proposed an index; accept it to submit it for approval.")
    events = events_of(ask(member_client, project, "Speed up the late returns report"))
    proposal = Proposal.objects.get()
    assert proposal.state == "draft" and proposal.sql == ddl and proposal.project == project
    assert proposal.safety_review["statements"]  # migration-safety reviewed before anyone decides
    assert proposal.evidence["source"] == "assistant"
    shown = next(d for n, d in events if n == "proposal")
    assert shown["id"] == proposal.pk and shown["state"] == "draft"
    assert events[-1][1]["proposals"] == [proposal.pk]


def test_a_timeout_is_an_error_event_and_the_question_is_kept(member_client, project, pagila, fake_openai, settings):
    settings.OPENAI_TIMEOUT = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.text("too late", delay=1.5)
    events = events_of(ask(member_client, project, "slow?"))
    assert events[-1][0] == "error" and events[-1][1]["code"] == "model_timeout"
    stored = list(Message.objects.values_list("role", "content", "error"))
    assert stored[0] == ("user", "slow?", "") and "OPENAI_TIMEOUT" in stored[1][2]


def test_a_429_is_retried_inside_the_stream(member_client, project, pagila, fake_openai):
    fake_openai.status(429, {"error": {"message": "slow down"}})
    fake_openai.text("ok now")
    events = events_of(ask(member_client, project, "q"))
    assert events[-1][1]["content"] == "ok now" and len(fake_openai.requests) == 2


def test_history_is_sent_with_the_next_question(member_client, project, pagila, fake_openai):
    fake_openai.text("First answer.")
    first = events_of(ask(member_client, project, "First question?"))
    conversation = first[0][1]["id"]
    fake_openai.text("Second answer.")
    events_of(ask(member_client, project, "And then?", conversation=conversation))
    sent = fake_openai.requests[1]["body"]["messages"]
    assert [m["content"] for m in sent[1:]] == ["First question?", "First answer.", "And then?"]
    listed = member_client.get(f"/projects/{project.pk}/assistant/conversations").json()
    assert listed["count"] == 1 and listed["results"][0]["message_count"] == 4
    detail = member_client.get(f"/projects/{project.pk}/assistant/conversations/{conversation}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]


def test_without_a_model_chat_answers_503_naming_the_settings(member_client, project, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    response = ask(member_client, project, "anything")
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "model_not_configured" and "OPENAI_API_KEY" in body["detail"]
    assert Conversation.objects.count() == 0


def test_bad_input_is_a_clear_400_or_404(member_client, project, fake_openai):
    assert ask(member_client, project, "").status_code == 400
    missing = ask(member_client, project, "q", conversation=999999)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
