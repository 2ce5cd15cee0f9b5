from django.contrib import admin

from schema_metadata.models import DatabaseConnection, QueryAnalysis, SchemaSync


@admin.register(DatabaseConnection)
class DatabaseConnectionAdmin(admin.ModelAdmin):
    # The URL is a secret: the admin shows its masked form only and never an input for it.
    list_display = ["name", "project", "environment", "is_default", "read_only", "allow_analyze", "masked_url"]
    list_filter = ["environment", "read_only"]
    search_fields = ["name", "project__name"]
    exclude = ["url"]
    readonly_fields = ["masked_url", "last_tested_at", "last_test_ok", "last_synced_at", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # connections are added in the app, where the URL is checked and encrypted


@admin.register(SchemaSync)
class SchemaSyncAdmin(admin.ModelAdmin):
    list_display = ["id", "connection", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in SchemaSync._meta.fields]


@admin.register(QueryAnalysis)
class QueryAnalysisAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "connection", "statement_kind", "analyzed", "execution_ms", "created_at"]
    list_filter = ["analyzed", "statement_kind"]
    readonly_fields = [f.name for f in QueryAnalysis._meta.fields]
