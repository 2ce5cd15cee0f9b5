"""Staff admin for users: role and organization at a glance; the GitHub token is never shown."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models

from accounts.models import User


class UserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    picture = forms.URLField(max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = User
        # Listed explicitly so that a new secret column never shows up here by accident.
        fields = (
            "email",
            "password",
            "full_name",
            "picture",
            "google_id",
            "organization",
            "role",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    add_form = UserAddForm
    list_display = ("email", "full_name", "organization", "role", "github_connected", "is_staff", "created_at")
    list_filter = ("role", "organization", "is_staff", "is_active")
    search_fields = ("email", "full_name")
    list_select_related = ("organization",)
    ordering = ("email",)
    readonly_fields = ("created_at", "last_login", "github_connected")
    autocomplete_fields = ("organization",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "picture", "google_id", "github_connected")}),
        ("Organization", {"fields": ("organization", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    @admin.display(boolean=True, description="GitHub connected")
    def github_connected(self, user):
        # Whether a token is stored, never the token itself.
        return bool(user.github_token)
