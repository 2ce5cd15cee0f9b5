from dbooster.api import get_for_org
from dbooster.errors import InvalidInput
from projects.models import Project


def project_list(*, org):
    return Project.objects.filter(organization=org).order_by("-created_at", "-id")


def project_get(*, org, pk) -> Project:
    return get_for_org(Project.objects.all(), org, pk=pk)


def project_or_sole(*, org, pk=None) -> Project:
    """The named project, or, when none is named, the organization's only project.

    The seed's bodies (`POST /repos/scan`, `/query/explain`, `/metadata/sync`) carry no project: they work as
    they are while an organization has one project, and say what to add once it has several.
    """
    if pk is not None:
        return project_get(org=org, pk=pk)
    projects = list(Project.objects.filter(organization=org).order_by("id")[:2])
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise InvalidInput("Your organization has no project yet: create one first.", code="project_required")
    raise InvalidInput(
        'Your organization has several projects: name one with "project": <project id>.', code="project_required"
    )
