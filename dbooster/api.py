"""API conventions shared by every app: error bodies, pagination, paths, tenancy."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import inspect
import logging
import re
import types
import zoneinfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.core.validators import RegexValidator
from django.db import DataError, models
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import re_path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from dbooster.errors import DomainError, NotFound

logger = logging.getLogger(__name__)


# One expression for every page, not one built per request: Django resolves a copy of it for each query.
_COUNT_ALL = Window(Count("*"))


class CountingPaginator(DjangoPaginator):
    """Django's paginator that counts in the page's own query: `count(*) OVER ()` rides along with the rows.

    A list request then costs one query instead of two (COUNT, then the page). `counts` adds more totals the
    same way, each the number of rows matching a Q (`{"unread_count": Q(read_at__isnull=True)}`), read after
    `page()` from `.totals`. An empty page, or a list the window cannot count (DISTINCT, GROUP BY, a union,
    `.values()`, a plain list), is counted as Django does.
    """

    _TOTAL = "_page_total"

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, counts=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.counts = counts or {}
        self.totals: dict[str, int] = {}

    def _countable_in_window(self) -> bool:
        qs = self.object_list
        if not isinstance(qs, QuerySet) or qs._iterable_class is not ModelIterable or self.orphans:
            return False
        return not (qs.query.distinct or qs.query.combinator or qs.query.group_by is not None)

    def page(self, number):
        if not self._countable_in_window():
            self.totals = {name: self.object_list.filter(q).count() for name, q in self.counts.items()}
            return super().page(number)
        number = self._page_number(number)
        bottom = (number - 1) * self.per_page
        windows = {self._TOTAL: _COUNT_ALL}
        windows.update({f"_total_{name}": Window(Count("pk", filter=q)) for name, q in self.counts.items()})
        rows = list(self.object_list.annotate(**windows)[bottom : bottom + self.per_page])
        if not rows:
            # Past the end, or nothing at all: Django's count decides between an empty first page and a 404.
            self.totals = dict.fromkeys(self.counts, 0) if number == 1 else {}
            return super().page(number)
        self.__dict__["count"] = getattr(rows[0], self._TOTAL)  # Paginator.count is a cached_property
        self.totals = {name: getattr(rows[0], f"_total_{name}") for name in self.counts}
        return self._get_page(rows, number, self)

    def _page_number(self, number) -> int:
        """Django's checks on a page number that need no count: an integer, at least 1."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class Pagination(PageNumberPagination):
    """The API's page envelope; `Pagination(counts={...})` adds totals, read from `.totals` (CountingPaginator)."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def __init__(self, counts=None):
        self.counts = counts or {}
        self.totals: dict[str, int] = {}

    def django_paginator_class(self, object_list, per_page):
        return CountingPaginator(object_list, per_page, counts=self.counts)

    def get_schema_operation_parameters(self, view):
        """DRF's `page` and `page_size`, with the bound the server enforces (both at least 1), so a client reading
        the schema never sends one it refuses; a page_size above `max_page_size` is served as that size."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] += (
                    f" At most {self.max_page_size}: a larger size gets pages of {self.max_page_size}."
                )
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        page = super().paginate_queryset(queryset, request, view=view)
        if page is not None:
            self.totals = self.page.paginator.totals
        return page

    def get_page_size(self, request):
        """`page_size` when given must be a positive integer (DRF would quietly use the default instead)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise exceptions.ValidationError({self.page_size_query_param: ["A positive integer is required."]})
        return super().get_page_size(request)


class UTCDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField rendered in TIME_ZONE (UTC) without asking for the current time zone each time.

    DRF looks the active time zone up (a context-local read) for every value it renders: a third of a list page's
    serialization. Nothing in DBooster activates another zone, so every datetime the API reads or writes is in
    TIME_ZONE; naming it here (DRF's own `default_timezone`) gives the same answers for less work.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", zoneinfo.ZoneInfo(settings.TIME_ZONE))
        super().__init__(*args, **kwargs)
        self._renders_in_utc = getattr(self.timezone, "key", None) in _UTC_NAMES

    def to_representation(self, value):
        """DRF's ISO 8601 text; a UTC datetime (what PostgreSQL's rows and `timezone.now()` give) is written
        directly: converting it to UTC (DRF's `enforce_timezone`) changes nothing, and DRF then writes
        `isoformat()` with "+00:00" as "Z"."""
        if (
            type(value) is dt.datetime
            and value.tzinfo is dt.UTC
            and self._renders_in_utc
            and getattr(self, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        ):
            return value.isoformat()[:-6] + "Z"
        return super().to_representation(value)


_UTC_NAMES = ("UTC", "Etc/UTC")


def _fresh_copy(field):
    """A copy of a built field for a new serializer instance.

    DRF deep-copies (re-constructs) every field per instance; a leaf field only gets its own name, parent and
    source when bound, so a shallow copy is enough for it and costs a tenth. Nested serializers and many-related
    fields hold bound children of their own: those are deep-copied as DRF does.
    """
    if isinstance(field, (serializers.BaseSerializer, serializers.ManyRelatedField, *_FIELDS_WITH_CHILDREN)):
        return copy.deepcopy(field)
    return copy.copy(field)


_FIELDS_WITH_CHILDREN = (serializers.ListField, serializers.DictField)  # each binds its `child` to itself


class Serializer(serializers.Serializer):
    """DRF's Serializer whose declared fields are copied for each instance as `ModelSerializer`'s are
    (`_fresh_copy`), not re-constructed: for the input of endpoints called often (`POST /query/optimize`)."""

    def get_fields(self):
        return {name: _fresh_copy(field) for name, field in self._declared_fields.items()}


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer that works its fields out from the model once per class, not once per instance.

    DRF introspects the model (field kinds, validators, choices) every time a serializer is made: about a
    millisecond, on every request that answers one. The fields built the first time are kept on the class and
    each instance gets fresh copies (`_fresh_copy`), as DRF does with declared fields; rendering an object does
    not need them at all when the class has a row plan (`row_plan`). Datetimes are rendered by `UTCDateTimeField`.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built_once = built
        return {name: _fresh_copy(field) for name, field in built.items()}

    def to_representation(self, instance):
        """DRF's answer, read through the class's `row_plan` when it has one."""
        plan = row_plan(type(self))
        if plan:
            try:
                return render_row(plan, self, instance)
            except (AttributeError, KeyError, ObjectDoesNotExist):
                pass  # DRF's own path decides: a skipped field, a None, or the error
        return super().to_representation(instance)


# Fields whose `to_representation` reads nothing but the value and the field's own settings (not its parent,
# the root's context or a child field), so one built copy renders for every serializer instance.
_CONTEXT_FREE_RENDERINGS = frozenset(
    kind.to_representation
    for kind in (
        serializers.BigIntegerField,
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.DurationField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.JSONField,
        serializers.MultipleChoiceField,
        serializers.ReadOnlyField,
        serializers.TimeField,
        serializers.UUIDField,
        UTCDateTimeField,
    )
)
_RENDERED_AS_ITSELF = {
    serializers.BooleanField.to_representation: bool,
    serializers.CharField.to_representation: str,
    serializers.FloatField.to_representation: float,
    serializers.IntegerField.to_representation: int,
}
# Serializer classes whose fields, readable fields and rendering are DRF's (or ModelSerializer's above): the same
# for every instance of the class, whatever it was made with.
_PLAIN_GET_FIELDS = (serializers.Serializer.get_fields, ModelSerializer.get_fields)
_PLAIN_RENDERINGS = (serializers.Serializer.to_representation, ModelSerializer.to_representation)
_NO_PLAN = ()


def row_plan(serializer_class) -> tuple:
    """How each readable field of `serializer_class` is read, worked out once per class (see `render_row`); ()
    when a field needs DRF's general path.

    DRF renders each field of each object through `get_attribute` (a walk over the source's parts, a check for
    callables, exception handling), a generator over the readable fields and a check for `PKOnlyObject`, on a
    copy of every field made for each serializer instance: for a page of 50 rows, most of the request's CPU.
    Fields that read one attribute of the model have a direct reading that gives the same value.
    """
    plan = serializer_class.__dict__.get("_row_plan_of_class")
    if plan is None:
        plan = _build_row_plan(serializer_class)
        serializer_class._row_plan_of_class = plan
    return plan


def render_row(plan, serializer, instance) -> dict:
    """DRF's rendering of `instance` by `serializer`, read through its class's `row_plan`.

    Each step is (name, attribute, type rendered as itself, rendering): the attribute's value as it is when of
    that type, None as None, else `rendering(value)`; with no attribute, `rendering(serializer, instance)` (a
    `get_<name>` method). A callable value raises AttributeError: DRF would call it, its own path decides.
    """
    row = {}
    for name, attribute, unchanged, rendering in plan:
        if attribute is None:
            row[name] = rendering(serializer, instance)
            continue
        value = getattr(instance, attribute)
        if type(value) is unchanged:
            row[name] = value
        elif value is None:
            row[name] = None
        elif callable(value):
            raise AttributeError(attribute)
        else:
            row[name] = rendering(value)
    return row


def _build_row_plan(serializer_class) -> tuple:
    if not (
        serializer_class.__init__ is serializers.BaseSerializer.__init__
        and serializer_class.get_fields in _PLAIN_GET_FIELDS
        and inspect.getattr_static(serializer_class, "_readable_fields")
        is serializers.Serializer.__dict__["_readable_fields"]
    ):
        return _NO_PLAN  # its fields may depend on how an instance is made: DRF's path, per instance
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    plan = []
    for field in serializer_class()._readable_fields:
        step = _direct_reading(serializer_class, model, field)
        if step is None:
            return _NO_PLAN
        plan.append((field.field_name, *step))
    return tuple(plan)


def _itself(value):
    return value


def _direct_reading(serializer_class, model, field) -> tuple | None:
    """(attribute, type rendered as itself, rendering) that read `field` of an object as DRF does, or None.

    - a `get_<name>` method field: DRF calls the serializer's method with the object itself;
    - a primary-key related field on a foreign key: DRF renders the related object's pk, the key column itself;
    - a field that reads one model column, forward relation or property (one attribute of a plain serializer's
      object) and renders it from its value alone: the attribute, None as None, else the field's rendering;
    - a nested serializer of that kind whose own fields need no serializer instance (no method fields).
    """
    if type(field) is serializers.SerializerMethodField:
        method = inspect.getattr_static(serializer_class, field.method_name, None)
        return (None, None, method) if isinstance(method, types.FunctionType) else None
    if len(field.source_attrs) != 1:
        return None
    name = field.source_attrs[0]  # read as DRF does: the attribute of that name (a column's name or attname)
    if model is not None and not isinstance(inspect.getattr_static(model, name, None), property):
        try:
            column = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not column.concrete:
            return None
        if type(field) is serializers.PrimaryKeyRelatedField and field.pk_field is None and column.many_to_one:
            return column.attname, int, _itself
    rendering = _context_free_rendering(field)
    if rendering is None:
        return None
    return name, _rendered_as_itself(field), rendering


def _rendered_as_itself(field) -> type | None:
    """The type whose values `field` renders as they are (CharField's `str(value)` of a str), or None."""
    rendering = type(field).to_representation
    if rendering is serializers.BigIntegerField.to_representation:
        return None if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else int
    return _RENDERED_AS_ITSELF.get(rendering)


def _context_free_rendering(field):
    """A function of the value alone that renders it as `field` does, or None."""
    if type(field).get_attribute is not serializers.Field.get_attribute:
        return None
    if isinstance(field, serializers.BaseSerializer):
        nested = type(field)
        plan = row_plan(nested) if nested.to_representation in _PLAIN_RENDERINGS else _NO_PLAN
        if not plan or any(type(child) is serializers.SerializerMethodField for child in nested()._readable_fields):
            return None  # a method field reads its own serializer instance: the nested one DRF binds
        return functools.partial(render_row, plan, None)
    if type(field).to_representation not in _CONTEXT_FREE_RENDERINGS:
        return None
    return field.to_representation


# A web address as Django's URLValidator accepts it, kept to a shape a schema can state (the pattern is in
# /openapi.json and the server checks it too): http(s), up to five host labels of letters, digits and inner
# hyphens, a letter TLD, an optional port and path.
_LABEL = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"
WEB_URL_PATTERN = rf"^https?://({_LABEL}\.){{1,4}}[a-zA-Z]{{2,20}}(:[0-9]{{1,4}})?(/[^\s]*)?$"


def web_url_field(**kwargs) -> serializers.URLField:
    """A URLField whose documented pattern is what the server accepts (and "" when blank is allowed)."""
    pattern = f"^$|{WEB_URL_PATTERN}" if kwargs.get("allow_blank") else WEB_URL_PATTERN
    message = "Enter an http(s) address such as https://example.com/me.png."
    return serializers.URLField(validators=[RegexValidator(pattern, message=message)], **kwargs)


def encoded_json(content: bytes) -> HttpResponse:
    """A 200 with JSON encoded beforehand: documents built from code alone (the rule lists), encoded once per
    process instead of on each request (a deployment is a new process: nothing to invalidate)."""
    return HttpResponse(content, content_type="application/json")


_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def query_flag(request, name: str) -> bool:
    """A boolean query parameter: true/false (or 1/0, yes/no); absent is false, anything else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in _FLAGS:
        raise exceptions.ValidationError({name: ["Must be true or false."]})
    return _FLAGS[raw.lower()]


def paginated_response(queryset, serializer_class, request, view) -> Response:
    """One page of `queryset`, serialized, as the API's paginated list body.

    The view's GET says so with `@paginated_list(serializer_class)`, which documents this very envelope.
    """
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def paginated_list(serializer_class, **schema):
    """Documents a GET that answers `paginated_response(...)`: `@paginated_list(ProjectSerializer, tags=[...])`.

    drf-spectacular wraps the items in `Pagination`'s envelope (count, next, previous, results) and lists its
    `page` and `page_size` parameters (`dbooster.openapi.AutoSchema` finds the paginator through the mark).
    Other `extend_schema` arguments pass through.
    """

    def decorate(method):
        method.paginated_by = Pagination
        responses = {200: serializer_class(many=True), **schema.pop("responses", {})}
        return extend_schema(responses=responses, **schema)(method)

    return decorate


_CONVERTERS = {"int": "[0-9]+", "str": "[^/]+", "slug": "[-a-zA-Z0-9_]+", "uuid": "[0-9a-f-]{36}"}


def api_path(route: str, view, name: str | None = None):
    """A path that answers with or without its trailing slash.

    `route` is written like Django's `path()`: "projects/<int:pk>".
    """

    def converter(match):
        kind, param = match.group(1), match.group(2)
        return f"(?P<{param}>{_CONVERTERS[kind]})"

    regex = re.sub(r"<(int|str|slug|uuid):(\w+)>", converter, route.strip("/"))
    return re_path(rf"^{regex}/?$", view, name=name)


def _flatten_codes(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            yield from _flatten_codes(value)
    elif isinstance(codes, list):
        for value in codes:
            yield from _flatten_codes(value)
    else:
        yield codes


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            msg = _first_message(value)
            return msg if field in ("non_field_errors", "detail") else f"{field}: {msg}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def error_response(detail: str, code: str, status_code: int, **extra) -> Response:
    body = {"detail": detail, "code": code}
    body.update(extra)
    return Response(body, status=status_code)


def exception_handler(exc, context):
    """Every error is `{"detail": "...", "code": "..."}`; field errors under `errors`."""
    if isinstance(exc, DomainError):
        return error_response(exc.detail, exc.code, exc.status_code, **exc.extra)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        # Django would answer these with its HTML 400 page; an API client needs JSON and the real status.
        detail = (
            f"The request body is larger than the server accepts ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)."
            if isinstance(exc, RequestDataTooBig)
            else f"The request has more fields than the server accepts ({settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})."
        )
        return error_response(detail, "too_large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DataError):
        # PostgreSQL refused a value from the request (a NUL character, a number out of range...): the input is bad.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid value"
        return error_response(f"A value in the request cannot be used: {reason}.", "invalid_value", 400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    if isinstance(exc, Http404):
        return error_response("Not found.", "not_found", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        codes = list(_flatten_codes(exc.get_codes()))
        response.data = {
            "detail": _first_message(errors),
            "code": "invalid" if len(set(codes)) != 1 else codes[0],
            "errors": errors if isinstance(errors, dict) else {"non_field_errors": errors},
        }
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(detail, (dict, list)):
        detail, code = _first_message(detail), "error"
    response.data = {"detail": str(detail), "code": str(code)}
    return response


def get_for_org(queryset, organization, **lookup):
    """The object in `organization`, or NotFound: another tenant's objects do not exist."""
    try:
        return queryset.get(organization=organization, **lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{queryset.model._meta.verbose_name.capitalize()} not found.") from None


def _is_page(request) -> bool:
    """Server-rendered pages get an HTML error page; everything else is API and gets JSON."""
    return request.path.startswith(("/app/", "/accounts/", "/admin/"))


def _error(request, status_code: int, title: str, detail: str, code: str):
    if _is_page(request):
        context = {"title": title, "message": detail, "status": status_code}
        return render(request, "accounts/page_error.html", context, status=status_code)
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


def json_400(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.", "bad_request")


def json_403(request, exception=None):
    return _error(request, 403, "Not allowed", "You do not have permission to do this.", "permission_denied")


def json_404(request, exception=None):
    return _error(request, 404, "Not found", "Not found.", "not_found")


def json_500(request):
    # No template rendering here: whatever broke may be what a template needs.
    return JsonResponse({"detail": "Internal server error.", "code": "server_error"}, status=500)
