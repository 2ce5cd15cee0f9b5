"""dbooster.api.ModelSerializer answers exactly what DRF's own rendering of the same serializer answers.

Its rows are read through direct readers (dbooster.api.row_plan) and its fields copied shallowly; each
serializer here is rendered both ways, on objects with empty and filled optional values, and each must use
the direct readers (so the comparison is not DRF against itself).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.api import UserSerializer
from dbooster.api import ModelSerializer, Serializer, UTCDateTimeField, row_plan
from notifications.api import NotificationSerializer
from notifications.models import Notification
from optimizer.api import PastRunSerializer
from optimizer.models import OptimizationRun
from projects.api import ProjectSerializer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def drf_rendering(serializer, instance) -> dict:
    return serializers.ModelSerializer.to_representation(serializer, instance)


def assert_same_as_drf(serializer_class, instance):
    ours = serializer_class(instance)
    assert ours.data == drf_rendering(serializer_class(instance), instance)
    assert row_plan(serializer_class), f"{serializer_class.__name__} fell back to DRF's path"
    # Same JSON text too (types, not only equal values: 1 == True in Python).
    assert json.dumps(ours.data, cls=JSONEncoder) == json.dumps(
        drf_rendering(serializer_class(instance), instance), cls=JSONEncoder
    )


def test_project_rows(project):
    assert_same_as_drf(ProjectSerializer, project)
    page = ProjectSerializer([project, project], many=True).data
    assert page[0]["organization"] == project.organization_id
    assert page[0]["created_at"].endswith("Z")


def test_notification_rows_read_and_unread(admin_user, project):
    unread = Notification.objects.create(recipient=admin_user, kind="scan_finished", title="t")
    read = Notification.objects.create(
        recipient=admin_user, kind="scan_finished", title="t", body="b", url="/app/", read_at=dt.datetime.now(dt.UTC)
    )
    for notification in (unread, read):
        assert_same_as_drf(NotificationSerializer, notification)
    assert NotificationSerializer(read).data["is_read"] is True
    assert NotificationSerializer(unread).data["read_at"] is None


def test_user_with_and_without_organization_and_pending_address(admin_user):
    admin_user.pending_email = "new@example.com"
    assert_same_as_drf(UserSerializer, admin_user)
    loner = UserFactory(organization=None, email_verified_at=None)
    assert_same_as_drf(UserSerializer, loner)
    assert UserSerializer(loner).data["organization"] is None


def test_a_run_with_and_without_a_project(admin_user, project):
    with_project = OptimizationRun.objects.create(
        organization=project.organization, project=project, user=admin_user, query="SELECT 1"
    )
    without = OptimizationRun.objects.create(organization=project.organization, user=admin_user, query="SELECT 2")
    for run in (with_project, without):
        assert_same_as_drf(PastRunSerializer, run)


def test_datetimes_are_rendered_in_utc_whatever_zone_they_carry():
    field = UTCDateTimeField()
    paris = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert field.to_representation(paris) == "2026-03-01T11:30:00Z"
    assert serializers.DateTimeField().to_representation(paris) == "2026-03-01T11:30:00Z"  # DRF's, for TIME_ZONE


def test_each_instance_has_its_own_fields(project):
    first, second = ProjectSerializer(project), ProjectSerializer(project)
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second


class _Input(Serializer):
    query = serializers.CharField(max_length=20, trim_whitespace=False)
    project = serializers.IntegerField(required=False, allow_null=True, default=None)
    verify = serializers.BooleanField(required=False, default=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)


class _DrfInput(serializers.Serializer):
    query = serializers.CharField(max_length=20, trim_whitespace=False)
    project = serializers.IntegerField(required=False, allow_null=True, default=None)
    verify = serializers.BooleanField(required=False, default=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)


@pytest.mark.parametrize(
    "data",
    [
        {"query": "SELECT 1"},
        {"query": " SELECT 1 ", "project": "7", "verify": "false", "tags": ["a", "b"]},
        {"query": "x" * 21},
        {},
        {"query": None, "project": "seven", "verify": "perhaps"},
        {"query": "SELECT 1", "tags": ["long tag", 5, None]},
        {"query": ["not", "text"], "tags": "not a list"},
    ],
)
def test_a_plain_serializer_validates_as_drf_does(data):
    ours, drf = _Input(data=data), _DrfInput(data=data)
    assert ours.is_valid() == drf.is_valid()
    assert ours.errors == drf.errors
    assert (ours.validated_data if not ours.errors else None) == (drf.validated_data if not drf.errors else None)


def test_each_plain_serializer_has_its_own_fields():
    first, second = _Input(data={}), _Input(data={})
    assert first.fields["query"] is not second.fields["query"]
    assert first.fields["query"].parent is first and second.fields["query"].parent is second
    # A field with a child bound to it is copied whole, as DRF does: the child's parent is this instance's field.
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]


def test_a_field_drf_reads_its_own_way_falls_back_to_drf(project):
    class WithDottedSource(ModelSerializer):
        organization_name = serializers.CharField(source="organization.name")

        class Meta:
            model = ProjectSerializer.Meta.model
            fields = ["id", "organization_name"]

    serializer = WithDottedSource(project)
    assert serializer.data == {"id": project.id, "organization_name": project.organization.name}
    assert not row_plan(WithDottedSource)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2026, 12, 2, 7, 29, 15, 123456, tzinfo=dt.UTC), "2026-12-02T07:29:15.123456Z"),
        (dt.datetime(2026, 12, 2, 7, 29, 15, tzinfo=dt.UTC), "2026-12-02T07:29:15Z"),
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), "0001-01-01T00:00:00Z"),
    ],
)
def test_a_utc_datetime_is_written_without_drf_zone_work(value, text, monkeypatch):
    """A UTC value (what rows and `timezone.now()` give) is written as DRF writes it, without DRF's per-value
    conversion to the field's zone (a no-op for UTC)."""
    assert serializers.DateTimeField().to_representation(value) == text  # DRF's answer
    monkeypatch.setattr(serializers.DateTimeField, "enforce_timezone", lambda self, value: pytest.fail("converted"))
    assert UTCDateTimeField().to_representation(value) == text


def test_other_zones_and_formats_still_go_through_drf(monkeypatch):
    other_zone = dt.datetime(2026, 3, 1, 12, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    assert UTCDateTimeField().to_representation(other_zone) == "2026-03-01T11:30:00Z"
    utc = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    assert UTCDateTimeField(format="%Y-%m-%d %H:%M").to_representation(utc) == "2026-03-01 12:30"
    paris = UTCDateTimeField(default_timezone=zoneinfo.ZoneInfo("Europe/Paris"))
    assert paris.to_representation(utc) == "2026-03-01T13:30:00+01:00"
