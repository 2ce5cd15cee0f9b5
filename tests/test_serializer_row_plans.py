"""Every ModelSerializer of DBooster renders through its class's row plan exactly what DRF's own path renders.

`dbooster.api.row_plan` reads each field of an object directly, with one copy of the fields per serializer class
instead of DRF's copies per instance. Here every ModelSerializer the apps' APIs define renders objects of its
model with every column filled and with every optional column empty; the answer must equal DRF's rendering of
the same serializer (`Serializer.to_representation` over the instance's own fields), as data and as JSON text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
import json
import uuid

import pytest
from django.apps import apps
from django.conf import settings
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.api import UserSerializer
from dbooster.api import ModelSerializer, row_plan
from projects.api import ProjectSerializer
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

# A datetime as PostgreSQL's rows give it (UTC), with microseconds; "whole" has none (DRF then writes none).
WHEN = dt.datetime(2026, 12, 2, 7, 29, 15, 123456, tzinfo=dt.UTC)
WHOLE = dt.datetime(2026, 12, 2, 7, 29, 15, tzinfo=dt.UTC)


def every_model_serializer() -> list[type]:
    """The apps' model serializers; one still on DRF's ModelSerializer is checked as it would render on ours."""
    project_apps = [config for config in apps.get_app_configs() if config.path.startswith(str(settings.BASE_DIR))]
    for config in project_apps:
        try:
            importlib.import_module(f"{config.name}.api")
        except ModuleNotFoundError:
            pass
    found, todo = set(), [serializers.ModelSerializer]
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        in_apps = kind.__module__.split(".")[0] in {c.name for c in project_apps} and ".tests" not in kind.__module__
        if in_apps and hasattr(getattr(kind, "Meta", None), "model"):
            found.add(kind)
    found.discard(ModelSerializer)
    return sorted((on_ours(kind) for kind in found), key=lambda k: (k.__module__, k.__qualname__))


def on_ours(kind: type) -> type:
    if issubclass(kind, ModelSerializer):
        return kind
    return type(kind.__name__, (kind, ModelSerializer), {"__module__": kind.__module__, "Meta": kind.Meta})


SERIALIZERS = every_model_serializer()


def column_value(field, when):
    """A value of the column's own Python type (the first choice when it has choices)."""
    if field.choices:
        return field.choices[0][0]
    kind = field.get_internal_type()
    if kind in ("DateTimeField",):
        return when
    if kind.endswith(("IntegerField", "AutoField")):
        return 7
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField", "EncryptedTextField"):
        return "ünïcode text <b>"
    values = {
        "BooleanField": True,
        "DateField": when.date(),
        "TimeField": when.time(),
        "DurationField": dt.timedelta(seconds=90),
        "FloatField": 1.5,
        "DecimalField": decimal.Decimal("12.50"),
        "JSONField": {"rows": [1, "two", None], "ok": True},
        "UUIDField": uuid.UUID(int=7),
        "GenericIPAddressField": "127.0.0.1",
        "BinaryField": b"bytes",
        "ArrayField": [column_value(field.base_field, when)] if hasattr(field, "base_field") else [],
    }
    if kind not in values:
        pytest.fail(f"no sample value for {field.model.__name__}.{field.name} ({kind})")
    return values[kind]


def instance_of(model, *, filled: bool, when=WHEN, depth: int = 1):
    """An object of `model` with every column set (filled) or every optional column empty; a foreign key's
    object is made the same way (one level), so nested serializers read it without the database."""
    instance = model()
    for field in model._meta.concrete_fields:
        if field.is_relation:
            if filled or not field.null:
                related = instance_of(field.related_model, filled=filled, when=when, depth=depth - 1) if depth else None
                if related is not None:
                    related.pk = 3
                    field.set_cached_value(instance, related)
                setattr(instance, field.attname, 3)
            else:
                setattr(instance, field.attname, None)
                field.set_cached_value(instance, None)
            continue
        empty = field.null and not filled
        setattr(instance, field.attname, None if empty else column_value(field, when))
    return instance


def drf_rendering(serializer_class, instance):
    return serializers.Serializer.to_representation(serializer_class(instance), instance)


def rendered(render, instance):
    try:
        return render(instance)
    except Exception as error:  # the same error on both paths is the same answer
        return {"error": type(error).__name__}


def test_the_apps_model_serializers_are_found():
    names = {kind.__name__ for kind in SERIALIZERS}
    assert {"ProjectSerializer", "NotificationSerializer", "UserSerializer", "PastRunSerializer"} <= names
    assert len(SERIALIZERS) >= 30


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda k: f"{k.__module__}.{k.__qualname__}")
@pytest.mark.parametrize("filled", [True, False], ids=["filled", "empty"])
@pytest.mark.parametrize("when", [WHEN, WHOLE], ids=["microseconds", "whole-seconds"])
def test_row_plan_renders_what_drf_renders(serializer_class, filled, when):
    instance = instance_of(serializer_class.Meta.model, filled=filled, when=when)
    ours = rendered(lambda obj: serializer_class(obj).data, instance)
    drf = rendered(lambda obj: drf_rendering(serializer_class, obj), instance)
    assert ours == drf
    assert json.dumps(ours, cls=JSONEncoder) == json.dumps(drf, cls=JSONEncoder)


def test_most_model_serializers_have_a_row_plan():
    """The comparison above is not DRF against itself: the classes that render through a plan are most of them
    (the rest have a field DRF reads its own way: a dotted source, a related object's field, a file)."""
    planned = [kind for kind in SERIALIZERS if row_plan(kind)]
    assert len(planned) >= len(SERIALIZERS) * 2 // 3, sorted(set(SERIALIZERS) - set(planned), key=str)


def test_rendering_builds_no_fields_for_the_instance(admin_user):
    """One serializer per request or per list: its fields (DRF copies them all per instance) are never made."""
    single = UserSerializer(admin_user)
    assert single.data["email"] == admin_user.email
    assert "fields" not in single.__dict__
    page = ProjectSerializer([ProjectFactory(organization=admin_user.organization)] * 3, many=True)
    assert len(page.data) == 3
    assert "fields" not in page.child.__dict__


def test_a_method_field_gets_the_serializer_it_is_called_on(project):
    """A `get_<name>` method reads the serializer's context as with DRF: the instance it is called on."""

    class WithContext(ModelSerializer):
        caller = serializers.SerializerMethodField()

        class Meta:
            model = project._meta.model
            fields = ["id", "caller"]

        def get_caller(self, obj) -> str:
            return self.context["caller"]

    assert row_plan(WithContext)
    assert WithContext(project, context={"caller": "a"}).data == {"id": project.id, "caller": "a"}
    assert WithContext(project, context={"caller": "b"}).data == {"id": project.id, "caller": "b"}


def test_a_nested_serializer_with_a_method_field_falls_back_to_drf(project):
    """A nested serializer's method would be called on the nested instance DRF binds: not planned."""

    class Organization(serializers.Serializer):
        name = serializers.SerializerMethodField()

        def get_name(self, organization) -> str:
            return organization.name.upper()

    class WithNested(ModelSerializer):
        organization = Organization()

        class Meta:
            model = project._meta.model
            fields = ["id", "organization"]

    assert not row_plan(WithNested)
    assert WithNested(project).data == {"id": project.id, "organization": {"name": project.organization.name.upper()}}


def test_a_field_with_its_own_fields_per_instance_falls_back_to_drf(project):
    class Dynamic(ModelSerializer):
        class Meta:
            model = project._meta.model
            fields = ["id", "name"]

        def get_fields(self):
            fields = super().get_fields()
            if self.context.get("short"):
                del fields["name"]
            return fields

    assert not row_plan(Dynamic)
    assert Dynamic(project, context={"short": True}).data == {"id": project.id}
    assert Dynamic(project).data == {"id": project.id, "name": project.name}


def test_bigint_rendered_as_text_when_drf_is_told_so(project, settings):
    class AsText(ModelSerializer):
        id = serializers.BigIntegerField(read_only=True, coerce_to_string=True)

        class Meta:
            model = project._meta.model
            fields = ["id"]

    assert AsText(project).data == {"id": str(project.id)}


def test_a_string_a_charfield_renders_is_the_value_itself(project):
    project.name = 12  # not a str: rendered by the field (str(12)), as DRF does
    assert ProjectSerializer(project).data["name"] == "12"
