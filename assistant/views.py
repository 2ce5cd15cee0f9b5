"""The assistant's page: a chat per project (conversations beside, streamed answers, SQL blocks with Run,
Explain and Optimize, results inline, proposals with Accept and Cancel)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from assistant import llm, selectors
from dbooster.errors import NotFound
from dbooster.roles import Role, role_at_least
from organizations.page_access import not_found, role_required
from projects.selectors import project_get


@require_GET
@role_required(Role.VIEWER)
def chat_page(request, pk):
    try:
        project = project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "project")
    connection = selectors.assistant_connection(project=project)
    can_write = role_at_least(request.user.role, Role.MEMBER)
    conversation = request.GET.get("conversation", "")
    context = {
        "project": project,
        "connection": connection,
        "configured": llm.configured(),
        "settings_to_set": llm.SETTINGS_TO_SET,
        "conversations": list(selectors.conversation_list(project=project)[:50]),
        "can_write": can_write,
        "share_rows": selectors.settings_for(project=project).share_row_values,
        "config": {
            "project": project.pk,
            "connection": connection.pk if connection else None,
            "canWrite": can_write,
            "configured": llm.configured(),
            "conversation": int(conversation) if conversation.isdigit() else None,
        },
    }
    return render(request, "assistant/chat.html", context)
