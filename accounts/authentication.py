"""How API requests sign in: simplejwt bearer tokens, the user, their organization and their session in one query."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts import selectors
from accounts.models import SignInSession

# Tokens this process has verified (signature, type, claims), by their exact bytes: a client sends the same
# access token on every request until it expires, and checking its signature again each time costs more than the
# rest of authentication (PyJWT validates every character of it in Python). Bounded: the oldest goes first.
_verified_tokens: dict[bytes, object] = {}
VERIFIED_TOKENS_KEPT = 4096


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """simplejwt's bearer tokens; the user comes with their organization and their session's state in one query.

    Nearly every view reads `request.user.organization`; fetching it with the user saves a query per request.
    An access token names its sign-in session (`sid`, copied from the refresh token): a session signed out
    (DELETE /users/me/sessions/{id}, a password reset) ends its access tokens at once, not when they expire,
    and asking costs no extra query. Each worker keeps that row until a change to it is announced: a session
    signed out elsewhere ends its tokens here as soon as PostgreSQL's notice reaches this worker's connection.
    The other checks are simplejwt's own (user exists, is active, password unchanged when revocation is on).
    """

    def get_validated_token(self, raw_token):
        """simplejwt's validation once per token and process; its expiry is checked again on every request.

        Only these exact bytes, already verified under this process's key, are taken from memory; whatever
        else a request sends goes through simplejwt. Whether the user, their session and their password still
        allow the token is decided on every request by `get_user`, from the sign-in row (one query, or the row
        kept since, until PostgreSQL announces a change to what it reads: `accounts.selectors`).
        """
        token = _verified_tokens.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                _verified_tokens.pop(raw_token, None)  # expired: simplejwt's own answer below
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= VERIFIED_TOKENS_KEPT:
            _verified_tokens.pop(next(iter(_verified_tokens)), None)
        _verified_tokens[raw_token] = token
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError:
            raise jwt_authentication.InvalidToken("Token contained no recognizable user identification") from None
        session_id = validated_token.get(SignInSession.TOKEN_CLAIM)
        user, session_live = selectors.user_signing_in(user_id=user_id, session_id=session_id)
        if user is None:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed("The user's password has been changed.", code="password_changed")
        if session_id is not None and not session_live:
            raise exceptions.AuthenticationFailed(
                "This sign-in session was signed out; sign in again.", code="session_revoked"
            )
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents it in /openapi.json exactly as simplejwt's own (`jwtAuth`)."""

    target_class = "accounts.authentication.JWTAuthentication"
