"""Writes of the assistant: answering in a conversation (streamed, with tool calls), questions to SQL,
accepting or cancelling the changes it proposed, and the project's assistant settings.

Every answer is grounded in the synced schema (`assistant.grounding` picks the tables the question needs) and
every claim is backed by what the tools ran: the stored messages keep the tool calls, the SQL and the timings.
Nothing changes a database here: a change is a draft proposal until its user accepts it (then approvals).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction

from ai_usage.models import Purpose
from approvals import selectors as approvals_selectors
from approvals import services as approvals_services
from approvals.models import Proposal
from assistant import grounding, llm, selectors, sql_check, tools
from assistant.models import AssistantSettings, Conversation, Message
from audit.services import record
from dbooster.errors import Conflict, DomainError, InvalidInput, NotFound, Unprocessable

MAX_QUESTION_CHARS = 4000
HISTORY_MESSAGES = 20  # earlier user and assistant turns sent with a new question
CONTEXT_CHARS = 8000  # the grounding's budget for the schema in a prompt
DATA_CHANGE_KINDS = ("insert", "update", "delete", "merge")  # sql_guard's kinds of a data change

CHAT_SYSTEM = """You are DBooster's database assistant for one PostgreSQL database.
Answer from facts: call the tools to look at the schema, run read-only queries, explain or optimize a query,
run the health checks or search the queries found in the code. Say which SQL you ran for each number you give.
Never claim a change was made: to change anything (an index, a rewrite, a schema change, a health fix) call
propose_change; the user accepts or cancels it. Answer in short Markdown; put SQL in ```sql blocks.

The tables that matter for this question (from the synced schema):
{context}"""

SQL_SYSTEM = """You translate questions into one PostgreSQL statement over the schema below.
Answer only with a JSON object: {{"sql": "<one statement>", "explanation": "<what it does, in one paragraph>"}}.
Use only tables and columns of the schema. Prefer a read-only SELECT; write a data or schema change only when
the question asks for one.

Schema:
{context}"""


# --- grounding --------------------------------------------------------------------------------------------


def grounded_context(*, project, connection, question: str) -> tuple[str, list[str], dict[str, set[str]]]:
    """The schema text for the prompt, the tables picked, and every table's columns (to check SQL against)."""
    tables = selectors.schema_tables(connection=connection)
    if not tables:
        return "(no synced schema: the project has no synced database connection yet)", [], {}
    found = grounding.ground(question, tables, selectors.scanned_queries(project=project), char_budget=CONTEXT_CHARS)
    context = found.context or "(no table matched the question's words: call list_tables to see them all)"
    return context, found.table_names, selectors.schema_columns(tables)


def _question(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("question: say what you want to know.", code="question_required")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"question: at most {MAX_QUESTION_CHARS} characters.", code="question_too_long")
    return text.strip()


def _tool_context(*, project, actor, connection_id=None, request=None) -> tools.ToolContext:
    return tools.ToolContext(
        project=project,
        connection=selectors.assistant_connection(project=project, connection_id=connection_id),
        actor=actor,
        share_rows=selectors.settings_for(project=project).share_row_values,
        request=request,
    )


# --- chat ---------------------------------------------------------------------------------------------------


def _history(conversation: Conversation) -> list[dict]:
    turns = conversation.messages.filter(role__in=[Message.Role.USER, Message.Role.ASSISTANT]).exclude(content="")
    recent = list(turns.order_by("-id")[:HISTORY_MESSAGES])[::-1]
    return [{"role": m.role, "content": m.content} for m in recent]


def conversation_for(*, project, actor, conversation_id, question: str) -> Conversation:
    if conversation_id in (None, ""):
        return Conversation.objects.create(project=project, created_by=actor, title=question[:200])
    try:
        return selectors.conversation_get(project=project, pk=int(conversation_id))
    except (TypeError, ValueError):
        raise InvalidInput("conversation: a conversation id (a number).", code="invalid_conversation") from None


def event(name: str, data: dict) -> dict:
    return {"event": name, "data": data}


class ChatTurn:
    """One question answered in a conversation. `start()` checks everything that can fail before the stream
    (no model, the plan's limit, a bad conversation id); `events()` then streams and stores the answer."""

    def __init__(self, *, project, actor, question, conversation_id=None, connection_id=None, request=None):
        self.question = _question(question)
        self.session = llm.Session(organization=project.organization, purpose=Purpose.CHAT, project=project)
        self.ctx = _tool_context(project=project, actor=actor, connection_id=connection_id, request=request)
        self.project = project
        self.actor = actor
        self.conversation = conversation_for(
            project=project, actor=actor, conversation_id=conversation_id, question=self.question
        )
        history = _history(self.conversation)
        self.user_message = Message.objects.create(
            conversation=self.conversation, role=Message.Role.USER, content=self.question
        )
        context, self.tables, _ = grounded_context(
            project=project, connection=self.ctx.connection, question=self.question
        )
        self.messages = [
            {"role": "system", "content": CHAT_SYSTEM.format(context=context)},
            *history,
            {"role": "user", "content": self.question},
        ]
        record(
            action="assistant.ask",
            actor=actor,
            organization=project.organization,
            target=self.conversation,
            request=request,
            metadata={"conversation": self.conversation.pk, "tables": self.tables[:20]},
        )

    def _store(self, role: str, **fields) -> Message:
        message = Message.objects.create(conversation=self.conversation, role=role, **fields)
        Conversation.objects.filter(pk=self.conversation.pk).update(updated_at=message.created_at)
        return message

    def _run_tool(self, call: llm.ToolCall) -> Iterator[dict]:
        yield event("tool_call", {"id": call.id, "name": call.name, "arguments": call.arguments})
        started = time.monotonic()
        before = len(self.ctx.sql_ran)
        result = tools.execute(self.ctx, call.name, call.arguments)
        elapsed = int((time.monotonic() - started) * 1000)
        ran = self.ctx.sql_ran[before:]
        self._store(
            Message.Role.TOOL,
            content=json.dumps(result, default=str),
            tool_call_id=call.id,
            tool_name=call.name,
            sql=ran,
            elapsed_ms=elapsed,
            error=result.get("error", "") if isinstance(result, dict) else "",
        )
        self.messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result, default=str)})
        yield event("tool_result", {"id": call.id, "name": call.name, "result": result, "elapsed_ms": elapsed})
        if "proposal_id" in result:
            yield event("proposal", proposal_event(Proposal.objects.get(pk=result["proposal_id"])))

    def _model_round(self) -> Iterator[dict | llm.Completion]:
        for part in self.session.stream(self.messages, tools=tools.definitions()):
            if isinstance(part, str):
                yield event("delta", {"text": part})
            else:
                yield part

    def events(self) -> Iterator[dict]:
        yield event("conversation", {"id": self.conversation.pk, "message_id": self.user_message.pk})
        started = time.monotonic()
        text: list[str] = []
        completion = llm.Completion()
        try:
            for _ in range(settings.ASSISTANT_MAX_TOOL_ROUNDS):
                for part in self._model_round():
                    if isinstance(part, llm.Completion):
                        completion = part
                    else:
                        yield part
                text.append(completion.content)
                self.messages.append(completion.assistant_message())
                if not completion.tool_calls:
                    break
                self._store(
                    Message.Role.ASSISTANT,
                    content=completion.content,
                    tool_calls=[c.as_message() for c in completion.tool_calls],
                    model=completion.model,
                    elapsed_ms=completion.elapsed_ms,
                )
                for call in completion.tool_calls:
                    yield from self._run_tool(call)
            else:
                text.append(
                    f"\n\n(Stopped after {settings.ASSISTANT_MAX_TOOL_ROUNDS} rounds of tool calls "
                    "(ASSISTANT_MAX_TOOL_ROUNDS) without a final answer.)"
                )
            answer = "".join(text).strip()
            if not answer:
                raise llm.ModelError("The AI model returned an empty answer.", code="model_malformed")
        except DomainError as exc:
            message = self._store(
                Message.Role.ASSISTANT, content="", error=exc.detail, sql=self.ctx.sql_ran,
                proposals=self.ctx.proposals, elapsed_ms=int((time.monotonic() - started) * 1000),
            )  # fmt: skip
            yield event("error", {"detail": exc.detail, "code": exc.code, "message_id": message.pk})
            return
        message = self._store(
            Message.Role.ASSISTANT,
            content=answer,
            sql=self.ctx.sql_ran,
            proposals=self.ctx.proposals,
            model=completion.model,
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
        yield event(
            "done",
            {"message_id": message.pk, "content": answer, "sql": self.ctx.sql_ran, "proposals": self.ctx.proposals,
             "elapsed_ms": message.elapsed_ms, "tables": self.tables},
        )  # fmt: skip


def proposal_event(proposal: Proposal) -> dict:
    return {
        "id": proposal.pk,
        "kind": proposal.kind,
        "title": proposal.title,
        "sql": proposal.sql,
        "state": proposal.state,
        "reason": proposal.reason,
        "safety_review": proposal.safety_review,
        "estimated_rows": proposal.evidence.get("estimated_rows"),  # a data change's, from its EXPLAIN
    }


# --- questions to SQL ---------------------------------------------------------------------------------------


def _sql_answer(session: llm.Session, messages: list[dict]) -> tuple[str, str, str]:
    """The model's SQL and explanation, and its raw text; ModelError (model_malformed) when the shape is wrong."""
    completion = session.complete(messages, json_output=True)
    data = llm.parse_json_object(completion.content)
    sql = data.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise llm.ModelError("The AI model's answer has no SQL.", code="model_malformed")
    explanation = data.get("explanation")
    return sql.strip().rstrip(";").strip(), explanation if isinstance(explanation, str) else "", completion.content


def _problems(sql: str, columns: dict[str, set[str]]) -> tuple[sql_check.SqlCheck | None, list[str]]:
    try:
        checked = sql_check.check(sql, columns)
    except DomainError as exc:
        return None, [exc.detail]
    return checked, checked.problems if columns else []


def _write_sql(session, messages, columns) -> tuple[str, str, sql_check.SqlCheck, int]:
    """Ask, check against the schema, and ask again with the problems (up to ASSISTANT_SQL_REPAIRS times)."""
    attempts = 1 + settings.ASSISTANT_SQL_REPAIRS
    for attempt in range(1, attempts + 1):
        sql, explanation, raw = _sql_answer(session, messages)
        checked, problems = _problems(sql, columns)
        if not problems:
            return sql, explanation, checked, attempt
        messages += [
            {"role": "assistant", "content": raw},
            {"role": "user", "content": "That SQL is wrong: " + "; ".join(problems) + ". Answer again, same JSON."},
        ]
    raise Unprocessable(
        f"The AI model's SQL still has problems after {attempts} tries: {'; '.join(problems)}.",
        code="sql_unresolved",
        extra={"sql": sql, "problems": problems},
    )


def _plan_of(ctx: tools.ToolContext, sql: str) -> tuple[dict | None, str]:
    if ctx.connection is None:
        return None, "No database connection: the SQL was checked against nothing but its syntax."
    try:
        return tools.explain_query(ctx, {"sql": sql}), ""
    except DomainError as exc:
        return None, exc.detail


def _proposal_kind(checked: sql_check.SqlCheck, sql: str) -> str:
    if checked.kind in DATA_CHANGE_KINDS:
        return Proposal.Kind.DATA
    if checked.kind == "utility":
        return (
            Proposal.Kind.INDEX
            if sql.lstrip().lower().startswith("create") and " index " in sql.lower()
            else Proposal.Kind.DDL
        )
    return Proposal.Kind.REWRITE


def question_to_sql(*, project, actor, question, run: bool = False, connection_id=None, request=None) -> dict:
    """The question as one statement: checked against the schema, explained, run read-only when asked; a
    statement that is not read-only is never run and becomes a draft proposal instead."""
    question = _question(question)
    session = llm.Session(organization=project.organization, purpose=Purpose.SQL, project=project)
    ctx = _tool_context(project=project, actor=actor, connection_id=connection_id, request=request)
    context, picked, columns = grounded_context(project=project, connection=ctx.connection, question=question)
    messages = [
        {"role": "system", "content": SQL_SYSTEM.format(context=context)},
        {"role": "user", "content": question},
    ]
    sql, explanation, checked, attempts = _write_sql(session, messages, columns)
    answer = {
        "sql": sql,
        "tables": checked.tables,
        "explanation": explanation,
        "read_only": checked.read_only,
        "statement_kind": checked.kind,
        "attempts": attempts,
        "grounded_tables": picked,
        "plan": None,
        "plan_error": "",
        "result": None,
        "result_error": "",
        "proposal": None,
        "proposal_error": "",
    }
    if checked.read_only:
        answer["plan"], answer["plan_error"] = _plan_of(ctx, sql)
        if run:
            _run_into(answer, ctx, sql)
    else:
        _propose_into(answer, ctx, checked, sql, question)
    record(
        action="assistant.sql", actor=actor, organization=project.organization, target=project, request=request,
        metadata={"kind": checked.kind, "attempts": attempts, "ran": answer["result"] is not None},
    )  # fmt: skip
    return answer


def _run_into(answer: dict, ctx: tools.ToolContext, sql: str) -> None:
    try:
        result = tools.run_read_only(ctx, sql)
    except DomainError as exc:
        answer["result_error"] = exc.detail
        return
    answer["result"] = {k: result[k] for k in ("columns", "rows", "row_count", "truncated", "duration_ms")}
    answer["result"]["run_id"] = ctx.sql_ran[-1]["run_id"]


def _propose_into(answer: dict, ctx: tools.ToolContext, checked, sql: str, question: str) -> None:
    try:
        proposal = tools.draft_proposal(
            ctx, kind=_proposal_kind(checked, sql), sql=sql, reason=f"Asked the assistant: {question}"[:2000],
            evidence={"explanation": answer["explanation"]},
        )  # fmt: skip
    except DomainError as exc:
        answer["proposal_error"] = exc.detail
        return
    answer["proposal"] = proposal_event(proposal)


# --- accept and cancel ---------------------------------------------------------------------------------


def assistant_proposal(*, project, actor, pk) -> Proposal:
    """One of the assistant's proposals in `project`; another user's draft is theirs alone (404)."""
    mine = approvals_selectors.visible_to(Proposal.objects.filter(project=project), actor)
    found = mine.filter(pk=pk, evidence__source="assistant").first()
    if found is None:
        raise NotFound("Proposal not found.")
    return found


def proposal_accept(*, proposal: Proposal, actor, request=None) -> dict:
    """Submit the draft for approval; where the user may approve and apply it and the connection allows, also
    approve and queue the apply. Says what happened and, when it stopped at submitted, why."""
    if proposal.state != Proposal.State.DRAFT:
        raise Conflict(f"This proposal is {proposal.state}; only a draft can be accepted.", code="not_a_draft")
    proposal = approvals_services.proposal_submit_draft(proposal=proposal, actor=actor, request=request)
    allowed, why = approvals_services.can_decide(actor=actor, proposal=proposal)
    if not allowed or proposal.kind == Proposal.Kind.REWRITE:
        note = why or "A rewrite is a code change: export it from the approvals page."
        return {"proposal": proposal, "applying": None, "note": f"Submitted for approval. {note}".strip()}
    try:
        proposal = approvals_services.proposal_approve(proposal=proposal, actor=actor, request=request)
        attempt = approvals_services.proposal_apply(proposal=proposal, actor=actor, request=request)
    except DomainError as exc:
        proposal.refresh_from_db()
        return {"proposal": proposal, "applying": None, "note": f"Not applied here: {exc.detail}"}
    proposal.refresh_from_db()
    return {"proposal": proposal, "applying": attempt.pk, "note": "Approved and queued to be applied."}


def proposal_cancel(*, proposal: Proposal, actor, request=None) -> Proposal:
    return approvals_services.proposal_withdraw(
        proposal=proposal, actor=actor, comment="cancelled in the assistant", request=request
    )


# --- settings --------------------------------------------------------------------------------------------


@transaction.atomic
def settings_update(*, project, actor, share_row_values: bool, request=None) -> AssistantSettings:
    found, _ = AssistantSettings.objects.update_or_create(
        project=project, defaults={"share_row_values": bool(share_row_values)}
    )
    record(
        action="assistant.settings", actor=actor, organization=project.organization, target=project,
        request=request, metadata={"share_row_values": found.share_row_values},
    )  # fmt: skip
    return found
