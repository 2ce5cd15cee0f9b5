"""JSON bodies are typed as the schema says: `"name": 0` is refused, not read as "0".

DRF's scalar fields coerce on purpose, because form data and query strings carry only text: a CharField takes
0 as "0", a BooleanField takes 0, "no" or "on", an IntegerField takes "12". A JSON body has real types, and
`/openapi.json` promises them (string, boolean, integer, number), so a value of another JSON type is refused
with the field's own "invalid" message. Only data the API's JSON parser produced is held to this; form data,
query parameters and dictionaries code builds itself are read as before.
"""

from __future__ import annotations

from rest_framework import fields
from rest_framework.parsers import JSONParser


class JSONObject(dict):
    """A request body parsed from JSON: its scalars have the types the client sent."""


class JSONArray(list):
    """A request body parsed from JSON that is an array."""


class TypedJSONParser(JSONParser):
    """DRF's JSON parser, marking what it parsed as typed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, dict):
            return JSONObject(data)
        if isinstance(data, list):
            return JSONArray(data)
        return data


def _json_types(field: fields.Field) -> tuple[type, ...] | None:
    """The JSON types a field accepts, or None when any is fine (no schema type, or not a JSON scalar)."""
    if isinstance(field, fields.BooleanField):
        return (bool,)
    if isinstance(field, (fields.CharField, fields.ChoiceField)) and not isinstance(field, fields.FilePathField):
        choices = getattr(field, "choices", None) or {}
        if isinstance(field, fields.ChoiceField) and not all(isinstance(key, str) for key in choices):
            return None  # non-text choices: the schema documents them by value, DRF matches them as text
        return (str,)
    if isinstance(field, fields.IntegerField):
        return (int,)
    if isinstance(field, fields.FloatField):
        return (int, float)
    return None


def _from_json_body(field: fields.Field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), (JSONObject, JSONArray))


def _typed(to_internal_value):
    def to_internal_value_typed(self, data):
        types = _json_types(self)
        if types is not None and _from_json_body(self):
            wrong_bool = isinstance(data, bool) and bool not in types
            if wrong_bool or not isinstance(data, types):
                if isinstance(self, fields.ChoiceField):
                    self.fail("invalid_choice", input=data)
                self.fail("invalid")
        return to_internal_value(self, data)

    to_internal_value_typed.typed_json = True
    return to_internal_value_typed


def install() -> None:
    """Hold DRF's scalar fields to their JSON type when they read a JSON body (once per process)."""
    for field_class in (
        fields.BooleanField,
        fields.CharField,
        fields.ChoiceField,
        fields.IntegerField,
        fields.FloatField,
    ):
        current = field_class.__dict__.get("to_internal_value")
        if current is not None and not getattr(current, "typed_json", False):
            field_class.to_internal_value = _typed(current)
