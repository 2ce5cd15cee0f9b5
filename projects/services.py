from __future__ import annotations

from django.db import IntegrityError, transaction

from audit import services as audit
from dbooster.errors import Conflict
from plans.quotas import enforce_quota
from projects.models import CurrentProject, Project


def _name_taken(name: str) -> Conflict:
    return Conflict(f"A project named {name!r} already exists in this organization.", code="name_taken")


@transaction.atomic
def project_create(*, org, name: str, description: str = "", created_by=None, request=None) -> Project:
    enforce_quota(organization=org, resource="projects", used=Project.objects.filter(organization=org).count())
    try:
        with transaction.atomic():
            project = Project.objects.create(
                organization=org, name=name.strip(), description=description or "", created_by=created_by
            )
    except IntegrityError:
        raise _name_taken(name) from None
    audit.record(action="project.create", actor=created_by, organization=org, target=project, request=request)
    return project


@transaction.atomic
def project_update(*, project: Project, actor=None, request=None, **fields) -> Project:
    changed = []
    for field in ("name", "description"):
        if field in fields and fields[field] is not None:
            setattr(project, field, fields[field].strip() if field == "name" else fields[field])
            changed.append(field)
    if changed:
        try:
            with transaction.atomic():
                project.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise _name_taken(project.name) from None
        audit.record(
            action="project.update", actor=actor, target=project, request=request, metadata={"fields": changed}
        )
    return project


@transaction.atomic
def project_delete(*, project: Project, actor=None, request=None) -> None:
    audit.record(action="project.delete", actor=actor, target=project, request=request)
    project.delete()


def set_current_project(*, user, project: Project) -> Project:
    """Make `project` the one `user` works in (the caller has checked it is in the user's organization)."""
    CurrentProject.objects.update_or_create(user=user, defaults={"project": project})
    return project
