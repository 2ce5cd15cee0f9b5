from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, services
from billing.gateway import PAID_PLANS
from billing.models import PaymentHistory, Subscription
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class PaymentDetailsDataSerializer(serializers.Serializer):
    provider = serializers.CharField()
    identifier = serializers.CharField(source="payment_identifier")


class PaymentDetailsInputSerializer(serializers.Serializer):
    provider = serializers.CharField(max_length=32, help_text="stripe or paypal")
    payment_identifier = serializers.CharField(
        max_length=255, help_text="Stripe: a customer id (cus_...). PayPal: a payer or billing agreement id."
    )


class PaymentDetailsGetSerializer(serializers.Serializer):
    data = PaymentDetailsDataSerializer(allow_null=True)


class PaymentDetailsSavedSerializer(serializers.Serializer):
    message = serializers.CharField()
    data = PaymentDetailsDataSerializer()


def _details_data(details) -> dict | None:
    return PaymentDetailsDataSerializer(details).data if details is not None else None


class PaymentDetailsView(APIView):
    """The seed's GET/POST /payment/details for the signed-in user.

    GET answers `{"data": {"provider", "identifier"}}`, or `{"data": null}` when nothing is saved yet
    (having no details is a normal state, not a missing resource).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PaymentDetailsGetSerializer}, tags=["payments"])
    def get(self, request):
        return Response({"data": _details_data(selectors.payment_details_for(user=request.user))})

    @extend_schema(
        request=PaymentDetailsInputSerializer,
        responses={201: PaymentDetailsSavedSerializer, 200: PaymentDetailsSavedSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Stripe customer",
                value={"provider": "stripe", "payment_identifier": "cus_ABC123"},
                request_only=True,
            ),
            OpenApiExample(
                "Saved",
                value={"message": "Payment details saved", "data": {"provider": "stripe", "identifier": "cus_ABC123"}},
                response_only=True,
            ),
        ],
        tags=["payments"],
    )
    def post(self, request):
        data = PaymentDetailsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        details, created = services.payment_details_save(user=request.user, request=request, **data.validated_data)
        body = {"message": "Payment details saved", "data": _details_data(details)}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CheckoutInputSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(
        choices=list(PAID_PLANS),
        error_messages={"invalid_choice": f"Unknown plan {{input!r}}; choose one of: {', '.join(PAID_PLANS)}."},
    )


class SessionUrlSerializer(serializers.Serializer):
    url = serializers.URLField()


class CheckoutSessionSerializer(SessionUrlSerializer):
    session_id = serializers.CharField()


class CheckoutView(APIView):
    """Organization admins start a Stripe Checkout for a paid plan; send the browser to `url`."""

    permission_classes = [OrganizationRole]
    write_role = Role.ADMIN

    @extend_schema(
        request=CheckoutInputSerializer,
        responses={
            201: CheckoutSessionSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: OpenApiResponse(ErrorSerializer, description="A live subscription exists: use the portal."),
            502: ErrorSerializer,
            503: ErrorSerializer,
        },
        tags=["billing"],
    )
    def post(self, request):
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.checkout_session_create(
            org=request.user.organization, user=request.user, plan=data.validated_data["plan"], request=request
        )
        return Response(session, status=status.HTTP_201_CREATED)


class PortalView(APIView):
    """Organization admins open Stripe's billing portal (card, plan change, cancellation)."""

    permission_classes = [OrganizationRole]
    write_role = Role.ADMIN

    @extend_schema(
        request=None,
        responses={201: SessionUrlSerializer, 403: ErrorSerializer, 409: ErrorSerializer, 502: ErrorSerializer},
        tags=["billing"],
    )
    def post(self, request):
        session = services.portal_session_create(org=request.user.organization, user=request.user, request=request)
        return Response(session, status=status.HTTP_201_CREATED)


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["stripe_subscription_id", "plan", "status", "cancel_at_period_end", "current_period_end"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentHistory
        fields = ["id", "amount", "currency", "status", "paid_at", "description"]


class UsageSerializer(serializers.Serializer):
    resource = serializers.CharField()
    label = serializers.CharField()
    used = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    at_limit = serializers.BooleanField()


class BillingOverviewSerializer(serializers.Serializer):
    plan = serializers.CharField()
    plan_name = serializers.CharField()
    subscription = SubscriptionSerializer(allow_null=True)
    has_customer = serializers.BooleanField()
    usage = UsageSerializer(many=True)
    payments = PaymentSerializer(many=True)


class BillingOverviewView(APIView):
    """The organization's plan, usage against its limits, subscription and payments (admins)."""

    permission_classes = [OrganizationRole]
    read_role = Role.ADMIN

    @extend_schema(responses={200: BillingOverviewSerializer, 403: ErrorSerializer}, tags=["billing"])
    def get(self, request):
        overview = selectors.billing_overview(org=request.user.organization)
        return Response(BillingOverviewSerializer(overview).data)


class WebhookView(APIView):
    """Stripe's webhook: verified by signature (no session, no token), stored once, processed by the worker."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request={"application/json": dict},
        responses={
            200: inline_serializer(
                "WebhookAck", {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()}
            ),
            400: ErrorSerializer,
            503: ErrorSerializer,
        },
        tags=["billing"],
    )
    def post(self, request):
        event, created = services.webhook_receive(
            payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE")
        )
        return Response({"received": True, "duplicate": not created})
