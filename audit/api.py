"""The audit log API: the list and the CSV export (serializers + thin views)."""

from __future__ import annotations

import csv
import json

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from audit import selectors, services
from audit.models import AuditEvent
from dbooster.api import paginated_list, paginated_response
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "action",
            "outcome",
            "actor",
            "actor_email",
            "target_type",
            "target_id",
            "target_repr",
            "ip_address",
            "metadata",
        ]
        read_only_fields = fields


# Empty is no filter, as the audit page's form sends it.
DATE_OR_DATETIME = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]}

_AUDIT_PARAMETERS = [
    OpenApiParameter("action", str, description="An action, or a prefix such as `approval`."),
    OpenApiParameter("actor", str, description="The actor's user id, or part of their e-mail."),
    OpenApiParameter("outcome", str, enum=AuditEvent.Outcome.values),
    OpenApiParameter("since", DATE_OR_DATETIME, description="From this date (YYYY-MM-DD) or ISO date-time."),
    OpenApiParameter("until", DATE_OR_DATETIME, description="Up to this date (inclusive) or ISO date-time."),
    OpenApiParameter("q", str, description="Free text over action, actor, target, IP and metadata."),
]


class AuditAdminView(APIView):
    permission_classes = [OrganizationRole]
    read_role = Role.ADMIN
    write_role = Role.ADMIN


class AuditListView(AuditAdminView):
    @paginated_list(AuditEventSerializer, parameters=_AUDIT_PARAMETERS, tags=["audit"])
    def get(self, request):
        events = selectors.audit_events(org=request.user.organization, filters=request.query_params.dict())
        return paginated_response(events, AuditEventSerializer, request, self)


CSV_COLUMNS = [
    "id",
    "created_at",
    "action",
    "outcome",
    "actor_email",
    "target_type",
    "target_id",
    "target_repr",
    "ip_address",
    "metadata",
]


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def audit_csv_rows(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.pk,
                event.created_at.isoformat(),
                csv_safe(event.action),
                event.outcome,
                csv_safe(event.actor_email),
                csv_safe(event.target_type),
                csv_safe(event.target_id),
                csv_safe(event.target_repr),
                event.ip_address or "",
                csv_safe(json.dumps(event.metadata, sort_keys=True, ensure_ascii=False)),
            ]
        )


def audit_csv_response(*, request, org, filters: dict) -> StreamingHttpResponse:
    events = selectors.audit_events(org=org, filters=filters)
    services.record(
        action="audit.export",
        actor=request.user,
        organization=org,
        request=request,
        metadata={"filters": {k: v for k, v in filters.items() if k in selectors.AUDIT_FILTERS and v}},
    )
    response = StreamingHttpResponse(audit_csv_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


class AuditExportView(AuditAdminView):
    @extend_schema(parameters=_AUDIT_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR}, tags=["audit"])
    def get(self, request):
        return audit_csv_response(request=request, org=request.user.organization, filters=request.query_params.dict())
