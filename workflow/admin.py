from django.contrib import admin

from workflow.models import ApplyAttempt, AuditEvent, Notification, NotificationPreference, Proposal, ProposalEvent


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "recipient__email"]
    raw_id_fields = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email"]
    list_filter = ["kind"]
    raw_id_fields = ["user"]


class ProposalEventInline(admin.TabularInline):
    model = ProposalEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor_email", "from_state", "to_state", "comment"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class ApplyAttemptInline(admin.TabularInline):
    model = ApplyAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "status", "statement", "error", "cleanup", "started_at", "finished_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """State changes go through the app (services enforce who may do what); the admin only reads."""

    list_display = ["id", "organization", "kind", "title", "state", "proposer", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["title", "sql", "reason", "proposer__email"]
    inlines = [ProposalEventInline, ApplyAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
