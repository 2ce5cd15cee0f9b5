"""How API requests sign in: simplejwt bearer tokens, with the user's organization fetched alongside."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """simplejwt's bearer tokens; the user comes with their organization in one indexed query.

    Nearly every view reads `request.user.organization`; fetching it with the user saves a query per request.
    The checks are simplejwt's own (user exists, is active, password unchanged when revocation is on).
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError:
            raise jwt_authentication.InvalidToken("Token contained no recognizable user identification") from None
        users = self.user_model.objects.select_related("organization")
        try:
            user = users.get(**{jwt_settings.USER_ID_FIELD: user_id})
        except self.user_model.DoesNotExist:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found") from None
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents it in /openapi.json exactly as simplejwt's own (`jwtAuth`)."""

    target_class = "dbooster.authentication.JWTAuthentication"
