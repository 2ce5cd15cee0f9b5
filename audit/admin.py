from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Searchable and filterable, never editable: the audit log is append-only."""

    list_display = [
        "created_at",
        "organization",
        "actor_email",
        "action",
        "outcome",
        "target_type",
        "target_repr",
        "ip_address",
    ]
    list_filter = ["outcome", "action", "organization", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["action", "actor_email", "target_type", "target_id", "target_repr", "ip_address", "metadata"]
    date_hierarchy = "created_at"
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}
