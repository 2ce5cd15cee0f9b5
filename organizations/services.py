from __future__ import annotations

from django.db import IntegrityError, transaction

from dbooster.errors import Conflict
from dbooster.roles import Role
from organizations.models import Organization


@transaction.atomic
def organization_create(*, name: str, creator, role: str = Role.ADMIN) -> Organization:
    """A new organization with `creator` as its first member (an admin)."""
    name = name.strip()
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name)
    except IntegrityError:
        raise Conflict(f"An organization named {name!r} already exists.", code="name_taken") from None
    creator.organization = org
    creator.role = role
    creator.save(update_fields=["organization", "role"])
    return org
