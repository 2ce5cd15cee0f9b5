from django.contrib import admin

from projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "created_by", "created_at", "updated_at")
    list_filter = ("organization",)
    search_fields = ("name", "description", "organization__name")
    list_select_related = ("organization", "created_by")
    readonly_fields = ("created_at", "updated_at")
    autocomplete_fields = ("organization", "created_by")
