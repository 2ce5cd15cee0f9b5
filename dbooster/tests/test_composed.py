"""A query composed once answers what the ORM's own query answers, for every value; a query it cannot compose
faithfully is refused when composed, never run with the wrong values."""

from __future__ import annotations

import pytest

from dbooster.composed import ComposedQuery
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def projects_named(org_id, name):
    return Project.objects.filter(organization_id=org_id, name__gte=name).order_by("-id")


@pytest.fixture
def two_orgs():
    orgs = [OrganizationFactory(), OrganizationFactory()]
    for org in orgs:
        for name in ("alpha 1", "alpha 2", "beta", "100% sure", "a_b"):
            ProjectFactory(organization=org, name=name)
    return orgs


def test_rows_and_instances_are_the_orms_for_every_value(two_orgs):
    rows = ComposedQuery(
        lambda org_id, name: projects_named(org_id, name).values_list("id", "name", "created_at")[:3],
        org_id=-1,
        name="stand-in name",
    )
    instances = ComposedQuery(lambda org_id, name: projects_named(org_id, name), org_id=-1, name="stand-in")
    for org in two_orgs:
        for name in ("alpha", "beta", "100%", "a_b", "zzz", ""):
            orm = projects_named(org.pk, name)
            assert rows.rows(org_id=org.pk, name=name) == list(orm.values_list("id", "name", "created_at")[:3])
            got = instances.instances(org_id=org.pk, name=name)
            assert [(p.pk, p.name, p.organization_id, p.created_at) for p in got] == [
                (p.pk, p.name, p.organization_id, p.created_at) for p in orm
            ]
            assert all(type(p) is Project and not p.get_deferred_fields() for p in got)


def test_a_stand_in_the_sql_does_not_carry_as_it_is_is_refused():
    # startswith sends "<value>%" (escaped): the call's value could not simply take the stand-in's place.
    transformed = ComposedQuery(lambda prefix: Project.objects.filter(name__startswith=prefix), prefix="stand-in")
    with pytest.raises(ValueError, match="stand-in"):
        transformed.instances(prefix="a")
    written_in = ComposedQuery(lambda n: Project.objects.values_list("id")[:n], n=7)
    with pytest.raises(ValueError, match="stand-in"):
        written_in.rows(n=3)
    twice = ComposedQuery(
        lambda org_id: Project.objects.filter(organization_id=org_id, created_by_id=org_id).values_list("id"),
        org_id=-5,
    )
    with pytest.raises(ValueError, match="stand-in"):
        twice.rows(org_id=1)


def test_values_are_the_stand_ins_exactly():
    query = ComposedQuery(lambda org_id: Project.objects.filter(organization_id=org_id).values_list("id"), org_id=-1)
    with pytest.raises(TypeError):
        query.rows(organization_id=1)
    with pytest.raises(TypeError):
        query.instances(org_id=1)  # a values_list() query has rows, not instances


def test_converted_columns_are_the_orms_and_their_converters_are_looked_up_once(two_orgs, monkeypatch):
    """An encrypted column comes back decrypted (its field's converter), call after call, as the ORM reads it."""
    from schema_metadata.models import DatabaseConnection

    for n, org in enumerate(two_orgs):
        project = Project.objects.filter(organization=org).first()
        DatabaseConnection.objects.create(project=project, name=f"db {n}", url=f"postgresql://u:secret{n}@h/db")

    def urls(org_id):
        return DatabaseConnection.objects.filter(project__organization_id=org_id).values_list("id", "url", "is_default")

    query = ComposedQuery(urls, org_id=-1)
    compiler = query._composed[1]
    lookups = []
    looked_up = compiler.get_converters
    monkeypatch.setattr(compiler, "get_converters", lambda columns: lookups.append(1) or looked_up(columns))
    for _ in range(3):
        for org in two_orgs:
            assert query.rows(org_id=org.pk) == list(urls(org.pk))
    assert [url for _, url, _ in query.rows(org_id=two_orgs[1].pk)] == ["postgresql://u:secret1@h/db"]
    assert len(lookups) == 1
