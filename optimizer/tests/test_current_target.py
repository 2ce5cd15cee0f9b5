"""The project an optimization runs on when the body names none, and its default connection: read together in
one statement when the user chose the project, each as the ORM reads it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from optimizer.selectors import current_project_and_connection
from projects.models import CurrentProject
from projects.services import set_current_project
from schema_metadata.models import DatabaseConnection
from tests.factories import OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def columns(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def add_connection(project, name: str, *, is_default: bool) -> DatabaseConnection:
    return DatabaseConnection.objects.create(
        project=project, name=name, url=f"postgresql://app:s3cret@127.0.0.1:5432/{name}", is_default=is_default
    )


def test_the_chosen_project_and_its_default_connection_in_one_query(member, project, org):
    chosen = ProjectFactory(organization=org)
    add_connection(chosen, "other", is_default=False)
    default = add_connection(chosen, "main", is_default=True)
    add_connection(project, "elsewhere", is_default=True)
    set_current_project(user=member, project=chosen)
    with CaptureQueriesContext(connection) as queries:
        project_read, connection_read = current_project_and_connection(user=member)
    assert len(queries) == 1
    # Every column as the ORM reads it, the encrypted address decrypted.
    assert columns(project_read) == columns(type(chosen).objects.get(pk=chosen.pk))
    assert columns(connection_read) == columns(DatabaseConnection.objects.get(pk=default.pk))
    assert connection_read.url.endswith("/main") and not connection_read._state.adding


def test_a_chosen_project_without_a_default_connection(member, project, org):
    add_connection(project, "not default", is_default=False)
    set_current_project(user=member, project=project)
    assert current_project_and_connection(user=member) == (project, None)


def test_without_a_choice_the_only_project_and_its_connection(member, project, org):
    default = add_connection(project, "main", is_default=True)
    assert current_project_and_connection(user=member) == (project, default)
    ProjectFactory(organization=org)
    assert current_project_and_connection(user=member) == (None, None)


def test_a_choice_in_another_organization_is_not_read(member, project):
    elsewhere = ProjectFactory(organization=OrganizationFactory())
    add_connection(elsewhere, "theirs", is_default=True)
    CurrentProject.objects.create(user=member, project=elsewhere)  # the user has since moved organization
    assert current_project_and_connection(user=member) == (project, None)
