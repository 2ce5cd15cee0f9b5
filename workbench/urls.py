from dbooster.api import api_path
from workbench import api

P = "projects/<int:pk>"

urlpatterns = [
    api_path(f"{P}/sql/run", api.SqlRunView.as_view(), name="sql-run"),
    api_path(f"{P}/sql/export", api.SqlExportView.as_view(), name="sql-export"),
    api_path(f"{P}/sql/history", api.SqlHistoryView.as_view(), name="sql-history"),
    api_path(f"{P}/sql/history/<int:rid>", api.SqlHistoryDetailView.as_view(), name="sql-history-detail"),
    api_path(f"{P}/sql/history/<int:rid>/rerun", api.SqlRerunView.as_view(), name="sql-rerun"),
    api_path(f"{P}/sql/history/<int:rid>/page", api.SqlPageView.as_view(), name="sql-page"),
    api_path(f"{P}/sql/snippets", api.SnippetListView.as_view(), name="sql-snippets"),
    api_path(f"{P}/sql/snippets/<int:sid>", api.SnippetDetailView.as_view(), name="sql-snippet-detail"),
    api_path(f"{P}/schema-changes", api.SchemaChangeView.as_view(), name="schema-changes"),
    api_path(f"{P}/schema-changes/preview", api.SchemaChangePreviewView.as_view(), name="schema-change-preview"),
    api_path(f"{P}/tables", api.TableListView.as_view(), name="tables"),
    api_path(f"{P}/tables/<str:table>", api.TableRowsView.as_view(), name="table-rows"),
    api_path(f"{P}/tables/<str:table>/schema", api.TableSchemaView.as_view(), name="table-schema"),
    api_path(f"{P}/tables/<str:table>/rows", api.TableRowWriteView.as_view(), name="table-row-write"),
    api_path(
        f"{P}/tables/<str:table>/sensitive-columns",
        api.TableSensitiveColumnsView.as_view(),
        name="table-sensitive-columns",
    ),
    api_path(f"{P}/sensitive-columns", api.SensitiveColumnListView.as_view(), name="sensitive-columns"),
    api_path(f"{P}/indexes", api.IndexListView.as_view(), name="indexes"),
    api_path(f"{P}/indexes/<str:name>", api.IndexDetailView.as_view(), name="index-detail"),
]
