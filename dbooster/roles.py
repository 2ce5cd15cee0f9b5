"""Roles inside an organization: viewer reads, member works, admin manages."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


def role_at_least(role: str, needed: str) -> bool:
    return RANK.get(role, -1) >= RANK[needed]


def is_org_admin(user) -> bool:
    """Whether `user` is an admin of an organization (the audit log and applying changes need one)."""
    return user.organization_id is not None and role_at_least(user.role, Role.ADMIN)
