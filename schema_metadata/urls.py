from dbooster.api import api_path
from schema_metadata import api

urlpatterns = [
    api_path("projects/<int:pk>/connections", api.ConnectionListView.as_view(), name="connection-list"),
    api_path("projects/<int:pk>/connections/<int:cid>", api.ConnectionDetailView.as_view(), name="connection-detail"),
    api_path("projects/<int:pk>/connections/<int:cid>/test", api.ConnectionTestView.as_view(), name="connection-test"),
    api_path("metadata/sync", api.MetadataSyncView.as_view(), name="metadata-sync"),
    api_path("metadata/syncs", api.SyncListView.as_view(), name="metadata-sync-list"),
    api_path("metadata/syncs/<int:pk>", api.SyncDetailView.as_view(), name="metadata-sync-detail"),
    api_path("metadata", api.MetadataListView.as_view(), name="metadata-list"),
    api_path("metadata/tables", api.MetadataTablesView.as_view(), name="metadata-tables"),
    api_path("metadata/indexes", api.MetadataIndexesView.as_view(), name="metadata-indexes"),
    api_path("metadata/foreign-keys", api.MetadataForeignKeysView.as_view(), name="metadata-foreign-keys"),
    api_path("query/explain", api.ExplainView.as_view(), name="query-explain"),
    api_path("query/plan/analyze", api.PlanAnalyzeView.as_view(), name="query-plan-analyze"),
    api_path("query/plan/compare", api.PlanCompareView.as_view(), name="query-plan-compare"),
    api_path("query/analyses", api.AnalysisListView.as_view(), name="query-analysis-list"),
    api_path("query/analyses/<int:pk>", api.AnalysisDetailView.as_view(), name="query-analysis-detail"),
]
