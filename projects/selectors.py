from dbooster.api import get_for_org
from dbooster.composed import ComposedQuery
from dbooster.errors import InvalidInput
from projects.models import CurrentProject, Project


def project_list(*, org):
    return Project.objects.filter(organization=org).order_by("-created_at", "-id")


def project_get(*, org, pk) -> Project:
    return get_for_org(Project.objects.all(), org, pk=pk)


# Read on every request that runs on the user's current project (POST /query/optimize without one named): composed
# once per process (dbooster.composed). A user has at most one choice (a one-to-one row), so at most one project.
_CHOSEN_PROJECT = ComposedQuery(
    lambda org_id, user_id: Project.objects.filter(
        organization_id=org_id, pk__in=chosen_projects(user_id=user_id)
    ).order_by(),
    org_id=-7_301_101,
    user_id=-7_301_102,
)
# Two are enough to tell "the only one" from "several".
_FIRST_TWO_PROJECTS = ComposedQuery(
    lambda org_id: Project.objects.filter(organization_id=org_id).order_by("id")[:2], org_id=-7_301_103
)


def current_project(*, user) -> Project | None:
    """The project the user works in: the one they chose (while it is in their organization), else the only one."""
    org = getattr(user, "organization", None)
    if org is None:
        return None
    chosen = _CHOSEN_PROJECT.instances(org_id=org.pk, user_id=user.pk)
    if chosen:
        return chosen[0]
    return sole_project(org=org)


def sole_project(*, org) -> Project | None:
    """The organization's only project; None when it has none or several."""
    projects = _FIRST_TWO_PROJECTS.instances(org_id=org.pk)
    return projects[0] if len(projects) == 1 else None


def chosen_projects(*, user_id):
    """The project the user chose (a subquery: at most one id); `current_project` checks its organization."""
    return CurrentProject.objects.filter(user_id=user_id).values("project_id")


def project_or_sole(*, org, pk=None, user=None) -> Project:
    """The named project, or, when none is named, the user's current project (the organization's only one
    when they have not chosen).

    The seed's bodies (`POST /repos/scan`, `/query/explain`, `/metadata/sync`) carry no project: they work as
    they are while the choice is unambiguous, and name the choice to make once it is not.
    """
    if pk is not None:
        return project_get(org=org, pk=pk)
    if user is not None:
        current = current_project(user=user)
        if current is not None:
            return current
    projects = list(Project.objects.filter(organization=org).order_by("id")[:6])
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise InvalidInput("Your organization has no project yet: create one first.", code="project_required")
    named = ", ".join(f"{p.name} ({p.pk})" for p in projects[:5]) + (", ..." if len(projects) > 5 else "")
    raise InvalidInput(
        f'Your organization has several projects ({named}): name one with "project": <project id>, or choose '
        "your current project (POST /projects/<id>/current).",
        code="project_required",
    )
