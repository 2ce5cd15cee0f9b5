from django.contrib import admin

from approvals.models import ApplyAttempt, Proposal, ProposalEvent


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
