"""The notifications API: the list, marking read, preferences (serializers + thin views)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import services as audit
from dbooster.api import ModelSerializer, Pagination, query_flag
from dbooster.page_cache import answered_from_memory
from notifications import selectors, services
from notifications.models import Notification, NotificationKind


class NotificationSerializer(ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "target_type", "target_id", "is_read", "read_at", "created_at"]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    label = serializers.CharField(read_only=True)
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


class PreferencesInputSerializer(serializers.Serializer):
    preferences = serializers.ListField(child=PreferenceSerializer(), min_length=1)


def _preference_rows(user) -> list[dict]:
    labels = dict(NotificationKind.choices)
    return [{"kind": kind, "label": labels[kind], **values} for kind, values in selectors.preferences_for(user).items()]


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread notifications.")],
        responses={
            200: inline_serializer(
                "NotificationPage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                    "unread_count": serializers.IntegerField(),
                    "results": NotificationSerializer(many=True),
                },
            )
        },
        tags=["notifications"],
    )
    @answered_from_memory  # the user's notifications' rows only (dbooster.page_cache)
    def get(self, request):
        unread_only = query_flag(request, "unread")
        # The unread count rides in the page's own query (it equals the count when only unread ones are listed).
        paginator = Pagination(counts={"unread_count": selectors.UNREAD})
        page = paginator.paginate_queryset(
            selectors.notifications_for(user=request.user, unread_only=unread_only), request, view=self
        )
        response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
        response.data["unread_count"] = paginator.totals["unread_count"]
        return response


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: NotificationSerializer}, tags=["notifications"])
    def post(self, request, pk):
        notification = services.mark_read(user=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NotificationsMarkedRead",
                {"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()},
            )
        },
        tags=["notifications"],
    )
    def post(self, request):
        marked = services.mark_all_read(user=request.user)
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})


class NotificationPreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PreferencesInputSerializer}, tags=["notifications"])
    def get(self, request):
        return Response({"preferences": _preference_rows(request.user)})

    @extend_schema(
        request=PreferencesInputSerializer, responses={200: PreferencesInputSerializer}, tags=["notifications"]
    )
    def put(self, request):
        data = PreferencesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {
            row["kind"]: {k: row[k] for k in ("in_app", "email") if k in row}
            for row in data.validated_data["preferences"]
        }
        services.set_preferences(user=request.user, changes=changes)
        audit.record(
            action="notification.preferences_update", actor=request.user, request=request, metadata={"changes": changes}
        )
        return Response({"preferences": _preference_rows(request.user)})

    @extend_schema(
        request=PreferencesInputSerializer, responses={200: PreferencesInputSerializer}, tags=["notifications"]
    )
    def patch(self, request):
        return self.put(request)
