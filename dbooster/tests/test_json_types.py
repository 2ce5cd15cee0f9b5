"""A JSON body is held to the types /openapi.json documents; forms and query strings are read as text."""

from io import BytesIO

import pytest
from rest_framework import serializers

from dbooster.json_types import JSONObject, TypedJSONParser

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Shop", "description": 0}, "description"),  # a number for a string
        ({"name": True}, "name"),  # a boolean for a string
    ],
)
def test_a_json_scalar_of_the_wrong_type_is_a_field_error(member_client, body, field):
    response = member_client.post("/projects", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][field] == ["Not a valid string."]


def test_a_json_number_for_a_boolean_is_refused(member_client):
    body = {"preferences": [{"kind": "scan_finished", "in_app": True, "email": 0}]}
    response = member_client.put("/notifications/preferences", body, format="json")
    assert response.status_code == 400, response.json()
    assert "Must be a valid boolean." in str(response.json()["errors"])


def test_the_same_values_as_text_in_a_form_are_read_as_before(member_client):
    response = member_client.post("/projects", {"name": "Shop", "description": "0"})  # multipart: all text
    assert response.status_code == 201, response.json()
    assert response.json()["description"] == "0"


def test_well_typed_json_is_accepted(member_client):
    response = member_client.post("/projects", {"name": "Shop", "description": "0"}, format="json")
    assert response.status_code == 201, response.json()


class _Sample(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": 0}, "name"),
        ({"name": "x", "count": "3"}, "count"),
        ({"name": "x", "count": 1.5}, "count"),
        ({"name": "x", "ratio": "0.5"}, "ratio"),
        ({"name": "x", "kind": 1}, "kind"),
        ({"name": "x", "tags": [1]}, "tags"),
    ],
)
def test_each_scalar_field_checks_its_json_type(data, field):
    typed = _Sample(data=JSONObject(data))
    assert not typed.is_valid() and list(typed.errors) == [field]


@pytest.mark.parametrize("data", [{"name": 0}, {"name": "x", "count": "3"}, {"name": "x", "tags": [1]}])
def test_a_dict_built_by_code_is_read_as_drf_always_did(data):
    assert _Sample(data=dict(data)).is_valid()


def test_the_parser_marks_what_it_parsed():
    assert isinstance(TypedJSONParser().parse(BytesIO(b'{"a": 1}')), JSONObject)
    assert TypedJSONParser().parse(BytesIO(b"3")) == 3
