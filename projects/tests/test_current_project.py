"""The user's current project: chosen while it is in their organization, else the organization's only one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import CurrentProject
from projects.selectors import current_project
from projects.services import set_current_project
from tests.factories import OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_chosen_project_in_one_query(member, project, org):
    other = ProjectFactory(organization=org)
    set_current_project(user=member, project=other)
    with CaptureQueriesContext(connection) as queries:
        chosen = current_project(user=member)
    assert chosen == other and len(queries) == 1
    # Read as the ORM reads it: every column, the same values.
    fresh = type(other).objects.get(pk=other.pk)
    assert {f.attname: getattr(chosen, f.attname) for f in fresh._meta.concrete_fields} == {
        f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields
    }


def test_without_a_choice_the_only_project_else_none(member, project, org):
    assert current_project(user=member) == project
    ProjectFactory(organization=org)
    assert current_project(user=member) is None


def test_a_choice_in_another_organization_is_not_the_current_project(member, project):
    elsewhere = ProjectFactory(organization=OrganizationFactory())
    CurrentProject.objects.create(user=member, project=elsewhere)  # the user has since moved organization
    assert current_project(user=member) == project  # the only one in their own organization
    ProjectFactory(organization=member.organization)
    assert current_project(user=member) is None


def test_another_users_choice_is_not_mine(member, admin_user, project, org):
    ProjectFactory(organization=org)
    set_current_project(user=admin_user, project=project)
    assert current_project(user=member) is None
    assert current_project(user=admin_user) == project
