from dbooster.api import get_for_org
from projects.models import Project


def project_list(*, org):
    return Project.objects.filter(organization=org).order_by("-created_at", "-id")


def project_get(*, org, pk) -> Project:
    return get_for_org(Project.objects.all(), org, pk=pk)
