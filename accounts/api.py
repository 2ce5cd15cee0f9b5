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
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import oauth, selectors, services
from accounts.models import SignInSession, User
from audit import services as audit
from dbooster.api import ModelSerializer, web_url_field
from dbooster.errors import DomainError, InvalidInput, ServiceUnavailable
from dbooster.ratelimit import RateLimit


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")


class OrganizationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserSerializer(ModelSerializer):
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
            "email_verified",
            "pending_email",
        ]
        read_only_fields = fields

    email_verified = serializers.BooleanField(
        read_only=True, help_text="Whether the address is proven; unverified users cannot invite, connect or run."
    )
    pending_email = serializers.EmailField(
        read_only=True, allow_null=True, help_text="A new address waiting for its code (PATCH /users/me)."
    )

    def get_github_connected(self, user) -> bool:
        return bool(user.github_token)


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Same as full_name (ai-db-assistant's body)."
    )
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SignupAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    email = serializers.EmailField()


class AuthErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False, help_text="With `code`.")
    code = serializers.CharField(max_length=32, required=False, help_text="The six digits from the e-mail.")
    token = serializers.CharField(max_length=200, required=False, help_text="The link's token, instead of both.")


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ResetVerifySerializer(VerifySerializer):
    new_password = serializers.CharField(max_length=128, write_only=True)


class PasswordCheckSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True)
    email = serializers.EmailField(max_length=254, required=False, help_text="Compared with the password.")
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True)


class PasswordCheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    messages = serializers.ListField(child=serializers.CharField())


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, write_only=True, allow_blank=True)
    new_password = serializers.CharField(max_length=128, write_only=True)


class ProfileSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    picture = web_url_field(max_length=1000, required=False, allow_blank=True, allow_null=True)
    email = serializers.EmailField(
        max_length=254, required=False, help_text="A new address: it takes effect once the code sent there is entered."
    )


class DeleteAccountSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True, required=False, allow_blank=True)


class SessionSerializer(ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = SignInSession
        fields = ["id", "created_at", "last_used_at", "user_agent", "ip_address", "current"]
        read_only_fields = fields

    def get_current(self, session) -> bool:
        return session.pk == self.context.get("current_session_id")


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
    """Anonymous auth endpoints: rate-limited per address and per the e-mail address they name."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RateLimit]
    rate_limit_scope = "sign_in"
    rate_limit_account_field = "email"


SIGNUP_ACCEPTED = "Check your inbox: we sent a code and a link to verify {email}."


class SignupView(AuthThrottled):
    rate_limit_scope = "sign_up"

    @extend_schema(
        request=SignupSerializer,
        responses={202: SignupAcceptedSerializer},
        tags=["auth"],
        description="Creates an unverified account and e-mails a code and a link (POST /auth/verify). "
        "The answer is the same whether or not the address is already registered (its owner is told by e-mail).",
    )
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        user = services.user_signup(
            email=email,
            password=data.validated_data["password"],
            full_name=data.validated_data.get("full_name") or data.validated_data.get("name") or None,
            organization_name=data.validated_data.get("organization") or None,
        )
        if user is not None:
            audit.record(action="auth.signup", actor=user, target=user, request=request)
        return Response(
            {"detail": SIGNUP_ACCEPTED.format(email=email), "email": email}, status=status.HTTP_202_ACCEPTED
        )


class VerifyView(AuthThrottled):
    rate_limit_scope = "codes"

    @extend_schema(
        request=VerifySerializer,
        responses={200: TokenPairSerializer, 400: AuthErrorSerializer, 409: AuthErrorSerializer},
        tags=["auth"],
        description="Prove an address with its code (`email` + `code`) or link (`token`): the account is "
        "verified (or its e-mail changed) and signed in. Wrong or expired codes are a 400 saying which; "
        "too many wrong tries lock the code (429).",
    )
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_verify(**data.validated_data)
        audit.record(action="auth.email_verified", actor=user, target=user, request=request)
        return Response(services.token_pair(user, request=request))


CODE_SENT = "If {email} is waiting to be verified, a new code is on its way."


class ResendCodeView(AuthThrottled):
    rate_limit_scope = "codes"

    @extend_schema(request=EmailSerializer, responses={200: DetailSerializer}, tags=["auth"])
    def post(self, request):
        data = EmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        services.verification_code_resend(email=email)
        return Response({"detail": CODE_SENT.format(email=email)})


RESET_SENT = "If an account uses {email}, we sent it a code and a link to reset the password."


class ForgotPasswordView(AuthThrottled):
    rate_limit_scope = "password_reset"

    @extend_schema(
        request=EmailSerializer,
        responses={200: DetailSerializer},
        tags=["auth"],
        description="Always the same answer, whether or not the address has an account.",
    )
    def post(self, request):
        data = EmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        services.password_reset_request(email=email)
        return Response({"detail": RESET_SENT.format(email=email)})


class ForgotPasswordVerifyView(AuthThrottled):
    rate_limit_scope = "password_reset"

    @extend_schema(
        request=ResetVerifySerializer,
        responses={200: DetailSerializer, 400: AuthErrorSerializer},
        tags=["auth"],
        description="A new password with the reset code (`email` + `code`) or link (`token`). "
        "Every refresh token of the account is revoked; sign in again with the new password.",
    )
    def post(self, request):
        data = ResetVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_reset_complete(**data.validated_data)
        audit.record(action="auth.password_reset", actor=user, target=user, request=request)
        return Response({"detail": "Your password is changed; sign in with it."})


class PasswordCheckView(AuthThrottled):
    """Django's password validators, asked before the form is sent (sign-up, reset and profile pages)."""

    rate_limit_scope = "password_check"
    rate_limit_account_field = None
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES

    @extend_schema(request=PasswordCheckSerializer, responses={200: PasswordCheckResultSerializer}, tags=["auth"])
    def post(self, request):
        data = PasswordCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.is_authenticated:
            candidate = request.user
        else:
            candidate = User(email=data.validated_data.get("email", ""), full_name=data.validated_data.get("full_name"))
        messages = services.password_problems(password=data.validated_data["password"], user=candidate)
        return Response({"valid": not messages, "messages": messages})


class LoginView(AuthThrottled):
    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Wrong e-mail or password."),
        },
        tags=["auth"],
    )
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
        return Response(services.token_pair(user, request=request))


class RefreshView(AuthThrottled):
    rate_limit_account_field = None

    @extend_schema(
        request=RefreshSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Invalid, expired or already used refresh token."),
        },
        tags=["auth"],
    )
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
        services.session_refreshed(refresh_token=pair["refresh_token"], request=request)
        audit.record(action="auth.refresh", actor=user, request=request)
        return Response(pair)


class SignInRequired(DomainError):
    status_code = 401
    code = "not_authenticated"


class ProviderNotConfiguredSerializer(AuthErrorSerializer):
    settings = serializers.ListField(child=serializers.CharField())


class ProviderStartView(AuthThrottled):
    rate_limit_account_field = None

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
        process = request.query_params.get("process", AuthProcess.LOGIN)
        if process not in (AuthProcess.LOGIN, AuthProcess.CONNECT):
            raise InvalidInput(f"process: {process!r} is not one of 'login', 'connect'.", code="invalid_process")
        if process == AuthProcess.CONNECT:
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
    rate_limit_account_field = None

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
        return Response(services.token_pair(user, request=request))


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefreshSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.session_sign_out(user=request.user, refresh_token=data.validated_data["refresh_token"])
        except TokenError:
            raise TokenRejected() from None
        audit.record(action="auth.logout", actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def current_session_id(request) -> int | None:
    """The sign-in session the request's access token belongs to (None for a page session)."""
    token = request.auth
    return token.get(services.SESSION_CLAIM) if hasattr(token, "get") else None


class MeView(APIView):
    # A new e-mail address gets a code by mail: limited like the other code requests.
    throttle_classes = [RateLimit]
    rate_limit_scope = "codes"
    rate_limit_methods = ("PATCH",)

    @extend_schema(responses={200: UserSerializer}, tags=["users"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        request=ProfileSerializer,
        responses={200: UserSerializer},
        tags=["users"],
        description="Full name and picture change at once; a new e-mail is `pending_email` until the code "
        "sent to it is entered at POST /auth/verify.",
    )
    def patch(self, request):
        data = ProfileSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, **data.validated_data)
        audit.record(
            action="user.profile_update",
            actor=user,
            target=user,
            request=request,
            metadata={"fields": sorted(data.validated_data)},
        )
        return Response(UserSerializer(user).data)

    @extend_schema(
        request=DeleteAccountSerializer,
        responses={204: None, 400: AuthErrorSerializer, 409: AuthErrorSerializer},
        tags=["users"],
        description="Deletes the account (the password confirms it). The last admin of an organization with "
        "other members must hand over first (409 `last_admin`).",
    )
    def delete(self, request):
        data = DeleteAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_delete(user=request.user, password=data.validated_data.get("password", ""), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MePasswordView(APIView):
    throttle_classes = [RateLimit]
    rate_limit_scope = "sign_in"

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: DetailSerializer, 400: AuthErrorSerializer},
        tags=["users"],
        description="Change the password (current + new, checked by the password validators). "
        "The user's other sessions end.",
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user=request.user, **data.validated_data, keep_session_id=current_session_id(request))
        audit.record(action="user.password_change", actor=request.user, target=request.user, request=request)
        return Response({"detail": "Your password is changed; your other sessions are signed out."})


class SessionListView(APIView):
    @extend_schema(responses={200: SessionSerializer(many=True)}, tags=["users"], operation_id="users_me_sessions_list")
    def get(self, request):
        sessions = selectors.sessions_active(user=request.user)
        context = {"current_session_id": current_session_id(request)}
        return Response(SessionSerializer(sessions, many=True, context=context).data)

    @extend_schema(
        responses={204: None},
        tags=["users"],
        operation_id="users_me_sessions_revoke_all",
        description="Sign out everywhere: every session ends.",
    )
    def delete(self, request):
        services.sessions_revoke_all(user=request.user)
        audit.record(action="user.sessions_revoke_all", actor=request.user, target=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionDetailView(APIView):
    @extend_schema(
        responses={204: None, 404: AuthErrorSerializer}, tags=["users"], operation_id="users_me_session_revoke"
    )
    def delete(self, request, pk):
        services.session_revoke(user=request.user, session_id=pk)
        audit.record(action="user.session_revoke", actor=request.user, target=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
