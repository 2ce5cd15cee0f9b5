from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count

from organizations.models import Invitation, Organization


class MemberInline(admin.TabularInline):
    model = get_user_model()
    fields = ("email", "full_name", "role", "is_active")
    readonly_fields = ("email", "full_name")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "members"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "member_count", "created_at")
    list_filter = ("plan",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    inlines = [MemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("members", distinct=True))

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, org):
        return org._member_count


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The token is left out: it is the invitee's key and only travels by e-mail."""

    list_display = ("email", "organization", "role", "status", "invited_by", "created_at", "accepted_at")
    list_filter = ("status", "role", "organization")
    search_fields = ("email", "organization__name", "invited_by__email")
    list_select_related = ("organization", "invited_by")
    fields = ("organization", "email", "role", "status", "invited_by", "created_at", "accepted_at")
    readonly_fields = ("created_at", "accepted_at")
    autocomplete_fields = ("organization", "invited_by")
