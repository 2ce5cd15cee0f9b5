from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib.auth import authenticate
from django.http import HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import oauth, services
from accounts.models import User
from audit import services as audit
from dbooster.errors import DomainError, InvalidInput, ServiceUnavailable


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")


class OrganizationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(allow_null=True)
    github_connected = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "picture",
            "google_id",
            "created_at",
            "organization",
            "organization_id",
            "role",
            "github_connected",
        ]
        read_only_fields = fields

    def get_github_connected(self, user) -> bool:
        return bool(user.github_token)


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class TokenRejected(DomainError):
    status_code = 401
    code = "token_not_valid"

    def __init__(self):
        super().__init__("The refresh token is invalid, expired or already used; sign in again.")


class AuthThrottled(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class SignupView(AuthThrottled):
    @extend_schema(request=SignupSerializer, responses={201: TokenPairSerializer}, tags=["auth"])
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            full_name=data.validated_data.get("full_name") or None,
            organization_name=data.validated_data.get("organization") or None,
        )
        audit.record(action="auth.signup", actor=user, target=user, request=request)
        return Response(services.token_pair(user), status=status.HTTP_201_CREATED)


class LoginView(AuthThrottled):
    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        user = authenticate(request, email=email, password=data.validated_data["password"])
        if user is None:
            known = User.objects.filter(email__iexact=email).first()
            audit.record(
                action="auth.login",
                actor=None,
                organization=known.organization if known else None,
                outcome="failure",
                request=request,
                metadata={"email": email},
            )
            return Response(
                {"detail": "E-mail or password is wrong.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        audit.record(action="auth.login", actor=user, target=user, request=request)
        return Response(services.token_pair(user))


class RefreshView(AuthThrottled):
    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inner = TokenRefreshSerializer(data={"refresh": data.validated_data["refresh_token"]})
        try:
            inner.is_valid(raise_exception=True)
        except (TokenError, AuthenticationFailed, serializers.ValidationError):
            raise TokenRejected() from None
        pair = {
            "access_token": inner.validated_data["access"],
            "refresh_token": inner.validated_data.get("refresh", data.validated_data["refresh_token"]),
            "token_type": "bearer",
        }
        user_id = RefreshToken(pair["refresh_token"]).get("user_id")
        user = User.objects.filter(pk=user_id).first()
        audit.record(action="auth.refresh", actor=user, request=request)
        return Response(pair)


class SignInRequired(DomainError):
    status_code = 401
    code = "not_authenticated"


class AuthErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class ProviderNotConfiguredSerializer(AuthErrorSerializer):
    settings = serializers.ListField(child=serializers.CharField())


class ProviderStartView(AuthThrottled):
    """`GET /auth/google`, `GET /auth/github`: off to the provider's consent page."""

    provider_id: str = ""
    # The session tells who is signed in for process=connect (allauth's flow is session-based).
    authentication_classes = [SessionAuthentication]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "next",
                str,
                description="A path on this site to return to with a session (server-rendered pages). "
                "Without it the browser returns to FRONTEND_URL with a one-time code for POST /auth/token.",
            ),
            OpenApiParameter(
                "process",
                str,
                enum=["login", "connect"],
                description="`connect` adds the provider account to the user signed in with the session "
                "(its GitHub token is then stored for repository access) instead of signing in.",
            ),
        ],
        responses={
            302: OpenApiResponse(description="Redirect to the provider's consent page."),
            401: OpenApiResponse(AuthErrorSerializer, description="process=connect without a signed-in session."),
            503: OpenApiResponse(ProviderNotConfiguredSerializer, description="Provider id/secret not set."),
        },
        tags=["auth"],
    )
    def get(self, request):
        provider = oauth.get_provider(self.provider_id)
        if not oauth.is_configured(provider.id):
            raise ServiceUnavailable(
                provider.hint, code="provider_not_configured", extra={"settings": list(provider.settings_names)}
            )
        django_request = request._request
        next_url = oauth.safe_next(request, request.query_params.get("next"))
        if request.query_params.get("process") == AuthProcess.CONNECT:
            return self._connect(request, provider, next_url or "/app/")
        frontend = next_url is None
        if frontend:
            # Marks the session so errors go back to the front end too (see accounts/adapters.py).
            request.session[oauth.FRONTEND_FLOW_SESSION_KEY] = provider.id
            next_url = reverse("auth-oauth-complete")
        else:
            request.session.pop(oauth.FRONTEND_FLOW_SESSION_KEY, None)
        allauth_provider = get_adapter(django_request).get_provider(django_request, provider.id)
        return allauth_provider.redirect(
            django_request, process=AuthProcess.LOGIN, next_url=next_url, data={"frontend": frontend}
        )

    def _connect(self, request, provider, next_url):
        """Add the provider account to the user signed in with the session (pages), e.g. to reach GitHub repos."""
        django_request = request._request
        if not request.user.is_authenticated:
            raise SignInRequired(f"Sign in first: connecting {provider.name} adds it to the signed-in account.")
        django_request.session.pop(oauth.FRONTEND_FLOW_SESSION_KEY, None)
        allauth_provider = get_adapter(django_request).get_provider(django_request, provider.id)
        return allauth_provider.redirect(django_request, process=AuthProcess.CONNECT, next_url=next_url)


class OAuthCompleteView(APIView):
    """Where allauth sends the browser after a provider sign-in that the front end started."""

    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]

    @extend_schema(
        responses={302: OpenApiResponse(description="Redirect to FRONTEND_URL with ?code=... (or ?error=...).")},
        tags=["auth"],
    )
    def get(self, request):
        provider = request.session.pop(oauth.FRONTEND_FLOW_SESSION_KEY, None)
        if provider is None or not request.user.is_authenticated:
            return HttpResponseRedirect(
                oauth.frontend_callback_url(error="no_sign_in", detail="No provider sign-in is in progress.")
            )
        code = services.oauth_code_issue(user=request.user, provider=provider)
        return HttpResponseRedirect(oauth.frontend_callback_url(code=code))


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=200)


class TokenExchangeView(AuthThrottled):
    @extend_schema(
        request=CodeSerializer,
        responses={200: TokenPairSerializer, 400: AuthErrorSerializer},
        tags=["auth"],
        auth=[],
        description="Trade the one-time code from a provider sign-in (valid about a minute, once) for a token pair.",
    )
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.oauth_code_exchange(code=data.validated_data["code"])
        audit.record(action="auth.token_exchange", actor=user, target=user, request=request)
        return Response(services.token_pair(user))


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefreshSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh_token"])
            if str(token.get("user_id")) != str(request.user.pk):
                raise InvalidInput("That refresh token belongs to someone else.")
            token.blacklist()
        except TokenError:
            raise TokenRejected() from None
        audit.record(action="auth.logout", actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer}, tags=["users"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)
