from assistant import api, report_api
from dbooster.api import api_path

urlpatterns = [
    api_path("projects/<int:pk>/assistant/status", api.AssistantStatusView.as_view(), name="assistant-status"),
    api_path("projects/<int:pk>/assistant/settings", api.AssistantSettingsView.as_view(), name="assistant-settings"),
    api_path("projects/<int:pk>/assistant/messages", api.MessagesView.as_view(), name="assistant-messages"),
    api_path(
        "projects/<int:pk>/assistant/conversations", api.ConversationsView.as_view(), name="assistant-conversations"
    ),
    api_path(
        "projects/<int:pk>/assistant/conversations/<int:cid>",
        api.ConversationDetailView.as_view(),
        name="assistant-conversation",
    ),
    api_path("projects/<int:pk>/assistant/sql", api.SqlView.as_view(), name="assistant-sql"),
    api_path("projects/<int:pk>/assistant/report", report_api.ReportView.as_view(), name="assistant-report"),
    api_path(
        "projects/<int:pk>/assistant/proposals/<int:pid>/accept",
        api.ProposalAcceptView.as_view(),
        name="assistant-proposal-accept",
    ),
    api_path(
        "projects/<int:pk>/assistant/proposals/<int:pid>/cancel",
        api.ProposalCancelView.as_view(),
        name="assistant-proposal-cancel",
    ),
]
