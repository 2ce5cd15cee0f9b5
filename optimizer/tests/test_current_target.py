"""The project an optimization runs on when the body names none, and its default connection: read together in
one statement when the user chose the project, each as the ORM reads it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import user_signing_in
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


# --- kept by each worker under the user's data version ---------------------------------------------------------


def signed_in(user):
    """The user as a bearer token signs them in: with their data version (`user_signing_in`)."""
    signed, _ = user_signing_in(user_id=user.pk, session_id=None)
    assert signed.data_version is not None
    return signed


def read(user) -> tuple:
    project, connection_read = current_project_and_connection(user=user)
    return (columns(project) if project else None, columns(connection_read) if connection_read else None)


def test_kept_while_the_users_data_version_stands(member, project):
    add_connection(project, "main", is_default=True)
    set_current_project(user=member, project=project)
    user = signed_in(member)
    first = current_project_and_connection(user=user)
    with CaptureQueriesContext(connection) as queries:
        again = current_project_and_connection(user=user)
    assert len(queries) == 0
    assert [columns(i) for i in again] == [columns(i) for i in first]
    # Instances of the request's own: what one request changes on them is not what the next one gets.
    assert again[0] is not first[0] and again[1] is not first[1]
    again[1].role_warnings.append("changed in memory")
    assert current_project_and_connection(user=user)[1].role_warnings == []


def test_every_change_it_depends_on_is_read_at_once(member, project, org):
    """Each step changes a row the answer comes from; the signed-in user's next read sees it, as a read with no
    data version (nothing kept) does."""
    other = ProjectFactory(organization=org, name="other")
    steps = [
        lambda: set_current_project(user=member, project=project),
        lambda: add_connection(project, "main", is_default=True),
        lambda: DatabaseConnection.objects.filter(project=project).update(url="postgresql://u:p@127.0.0.1/renamed"),
        lambda: set_current_project(user=member, project=other),
        lambda: type(other).objects.filter(pk=other.pk).update(name="renamed"),
        lambda: add_connection(other, "theirs", is_default=True),
        lambda: DatabaseConnection.objects.filter(project=other).delete(),
        lambda: CurrentProject.objects.filter(user=member).delete(),  # no choice, two projects: none
    ]
    seen = [read(signed_in(member))]
    for step in steps:
        step()
        kept, fresh = read(signed_in(member)), read(member)  # `member` has no data version: read afresh
        assert kept == fresh
        seen.append(kept)
    names = [(p and p["name"], c and c["url"].rsplit("/", 1)[-1]) for p, c in seen]
    assert names == [
        (None, None),  # two projects, none chosen
        (project.name, None),
        (project.name, "main"),
        (project.name, "renamed"),
        ("other", None),
        ("renamed", None),
        ("renamed", "theirs"),
        ("renamed", None),
        (None, None),
    ]
