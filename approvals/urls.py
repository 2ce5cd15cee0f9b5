from approvals import api
from dbooster.api import api_path

urlpatterns = [
    api_path("approvals", api.ProposalListView.as_view(), name="approval-list"),
    api_path("approvals/<int:pk>", api.ProposalDetailView.as_view(), name="approval-detail"),
    api_path("approvals/<int:pk>/approve", api.ProposalApproveView.as_view(), name="approval-approve"),
    api_path("approvals/<int:pk>/reject", api.ProposalRejectView.as_view(), name="approval-reject"),
    api_path("approvals/<int:pk>/withdraw", api.ProposalWithdrawView.as_view(), name="approval-withdraw"),
    api_path("approvals/<int:pk>/apply", api.ProposalApplyView.as_view(), name="approval-apply"),
    api_path("approvals/<int:pk>/export", api.ProposalExportView.as_view(), name="approval-export"),
    api_path("migration-rules", api.MigrationRuleListView.as_view(), name="migration-rule-list"),
    api_path("migration-rules/<slug:rule_id>", api.MigrationRuleDetailView.as_view(), name="migration-rule-json"),
]
