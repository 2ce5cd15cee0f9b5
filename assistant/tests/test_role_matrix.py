"""Role x endpoint x method for the assistant's routes.

Everyone in the organization reads the conversations and the status; members and admins ask (chat, SQL) and
accept or cancel the drafts made for them (another member's draft is a 404 even to an admin: it is its author's
until accepted); only admins change the settings; another organization gets 404.
"""

import json

import pytest

from approvals.models import Proposal
from assistant.models import Conversation, Message
from assistant.tests.fake_openai import Reply
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

READ = expect(admin=200, member=200, viewer=200, other=404)
WRITE = expect(admin=200, member=200, viewer=403, other=404)
PROPOSER_ONLY = expect(admin=404, member=200, viewer=403, other=404)

MATRIX = [
    Row("GET", "/projects/{project}/assistant/status", None, READ),
    Row("GET", "/projects/{project}/assistant/settings", None, READ),
    Row("PATCH", "/projects/{project}/assistant/settings", {"share_row_values": True},
        expect(admin=200, member=403, viewer=403, other=404)),
    Row("POST", "/projects/{project}/assistant/messages", {"question": "Which tables are there?"}, WRITE),
    Row("GET", "/projects/{project}/assistant/conversations", None, READ),
    Row("GET", "/projects/{project}/assistant/conversations/{conversation}", None, READ),
    Row("POST", "/projects/{project}/assistant/sql", {"question": "count the rows of t"}, WRITE),
    Row("POST", "/projects/{project}/assistant/proposals/{proposal}/accept", None, PROPOSER_ONLY),
    Row("POST", "/projects/{project}/assistant/proposals/{proposal}/cancel", None, PROPOSER_ONLY),
]  # fmt: skip


@pytest.fixture
def targets(project, member, fake_openai):
    fake_openai.responder = lambda body: Reply(content=json.dumps({"sql": "SELECT 1 AS one", "explanation": "one"}))
    conversation = Conversation.objects.create(project=project, created_by=member, title="q")
    Message.objects.create(conversation=conversation, role="user", content="q")
    proposal = Proposal.objects.create(
        organization=project.organization, project=project, kind="rewrite", title="Rewrite: SELECT 1",
        sql="SELECT 1", state="draft", proposer=member, evidence={"source": "assistant"},
    )  # fmt: skip
    return {"project": project.pk, "conversation": conversation.pk, "proposal": proposal.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_assistant_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
