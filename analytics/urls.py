from analytics import api
from dbooster.api import api_path

urlpatterns = [
    api_path("projects/<int:pk>/analytics/storage", api.StorageView.as_view(), name="project-analytics-storage"),
    api_path(
        "projects/<int:pk>/analytics/execution-time",
        api.ExecutionTimeView.as_view(),
        name="project-analytics-execution-time",
    ),
    api_path("projects/<int:pk>/analytics/usage", api.UsageView.as_view(), name="project-analytics-usage"),
    api_path(
        "query/fingerprints/<str:fp>/history", api.FingerprintHistoryView.as_view(), name="query-fingerprint-history"
    ),
]
