from dbooster.api import api_path
from workflow import api

urlpatterns = [
    api_path("notifications", api.NotificationListView.as_view(), name="notification-list"),
    api_path("notifications/read-all", api.NotificationReadAllView.as_view(), name="notification-read-all"),
    api_path("notifications/preferences", api.NotificationPreferencesView.as_view(), name="notification-preferences"),
    api_path("notifications/<int:pk>/read", api.NotificationReadView.as_view(), name="notification-read"),
    api_path("audit", api.AuditListView.as_view(), name="audit-list"),
    api_path("audit/export.csv", api.AuditExportView.as_view(), name="audit-export"),
    api_path("approvals", api.ProposalListView.as_view(), name="approval-list"),
    api_path("approvals/<int:pk>", api.ProposalDetailView.as_view(), name="approval-detail"),
    api_path("approvals/<int:pk>/approve", api.ProposalApproveView.as_view(), name="approval-approve"),
    api_path("approvals/<int:pk>/reject", api.ProposalRejectView.as_view(), name="approval-reject"),
    api_path("approvals/<int:pk>/withdraw", api.ProposalWithdrawView.as_view(), name="approval-withdraw"),
    api_path("approvals/<int:pk>/apply", api.ProposalApplyView.as_view(), name="approval-apply"),
    api_path("approvals/<int:pk>/export", api.ProposalExportView.as_view(), name="approval-export"),
]
