from django.contrib import admin

from optimizer.models import OptimizationRun, Suggestion, WorkloadImport


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    extra = 0
    fields = ["kind", "sql", "verification", "verified", "source", "dropped", "drop_reason"]
    readonly_fields = fields


@admin.register(OptimizationRun)
class OptimizationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "project", "plan_status", "measurement", "ai_status", "created_at"]
    list_filter = ["plan_status", "ai_status"]
    search_fields = ["query", "fingerprint"]
    inlines = [SuggestionInline]
    readonly_fields = ["plan_before", "plan_after", "findings"]


@admin.register(WorkloadImport)
class WorkloadImportAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "connection", "total_time_ms", "created_at"]
