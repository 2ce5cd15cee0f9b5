"""Reads of the accounts app."""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import SignInSession, User
from organizations.models import Organization


def sessions_active(*, user: User) -> QuerySet[SignInSession]:
    """The user's sign-in sessions whose current refresh token is outstanding: not expired, not revoked."""
    live_jtis = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values("jti")
    return SignInSession.objects.filter(user=user, revoked_at__isnull=True, jti__in=live_jtis).order_by("-last_used_at")


# --- who a bearer token signs in ------------------------------------------------------------------


@functools.cache
def _sign_in_statement() -> tuple[str, list, list]:
    """The sign-in query and the columns it reads, written once per process from the models' own fields.

    Every API request runs it; the ORM would spend more time composing it (select_related plus the session's
    EXISTS) than PostgreSQL spends answering it, so it is composed once, here, and only executed per request.
    """
    quote = connection.ops.quote_name
    user_fields, org_fields = list(User._meta.concrete_fields), list(Organization._meta.concrete_fields)
    columns = [f"u.{quote(f.column)}" for f in user_fields] + [f"o.{quote(f.column)}" for f in org_fields]
    session = SignInSession._meta
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"EXISTS (SELECT 1 FROM {quote(session.db_table)} s WHERE s.{quote(session.pk.column)} = %s"
        f" AND s.{quote(session.get_field('user').column)} = u.{quote(User._meta.pk.column)}"
        f" AND s.{quote(session.get_field('revoked_at').column)} IS NULL)"
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT JOIN {quote(Organization._meta.db_table)} o"
        f" ON o.{quote(Organization._meta.pk.column)} = u.{quote(User._meta.get_field('organization').column)}"
        f" WHERE u.{quote(User._meta.pk.column)} = %s"
    )
    return sql, _with_converters(user_fields, "u"), _with_converters(org_fields, "o")


def _with_converters(fields, alias: str) -> list:
    """(field, its column, its value converters) as the ORM applies them to a column read from the database."""
    result = []
    for field in fields:
        col = field.get_col(alias)
        result.append((field, col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return result


def _instance(model, fields_converters, values):
    converted = []
    for (_field, col, converters), value in zip(fields_converters, values, strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field, _, _ in fields_converters], converted)


def user_signing_in(*, user_id, session_id) -> tuple[User | None, bool]:
    """The user a token names, with their organization, and whether sign-in session `session_id` is still on.

    One query. (None, False) when no such user; the session is off when it was signed out or never existed.
    """
    try:
        user_id = User._meta.pk.to_python(user_id)
        session_id = int(session_id) if session_id is not None else 0
    except (DjangoValidationError, TypeError, ValueError):
        return None, False
    sql, user_fields, org_fields = _sign_in_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None, False
    n_user = len(user_fields)
    user = _instance(User, user_fields, row[:n_user])
    org_values = row[n_user:-1]
    organization = _instance(Organization, org_fields, org_values) if org_values[0] is not None else None
    User.organization.field.set_cached_value(user, organization)
    return user, bool(row[-1])
