from audit import api
from dbooster.api import api_path

urlpatterns = [
    api_path("audit", api.AuditListView.as_view(), name="audit-list"),
    api_path("audit/export.csv", api.AuditExportView.as_view(), name="audit-export"),
]
