from django.contrib import admin

from analytics.models import CollectorState, Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("connection", "resolution", "taken_at", "database_bytes", "calls", "total_ms", "stats_reset")
    list_filter = ("resolution",)
    readonly_fields = [f.name for f in Snapshot._meta.fields]


@admin.register(CollectorState)
class CollectorStateAdmin(admin.ModelAdmin):
    list_display = ("connection", "last_taken_at", "last_attempt_at", "last_error")
    exclude = ("database_counters", "statement_counters")  # up to 5,000 statements' counters
    readonly_fields = ("connection", "statements_reset", "last_taken_at", "last_attempt_at", "last_error")
