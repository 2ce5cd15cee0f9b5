from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from dbooster.errors import DomainError, InvalidInput
from workflow import audit


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
            "role",
            "github_connected",
        ]

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
