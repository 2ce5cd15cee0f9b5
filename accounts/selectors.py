"""Reads of the accounts app."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import SignInSession, User
from dbooster.models import DataVersion
from dbooster.notified_cache import NotifiedCache
from organizations.models import Organization


def sessions_active(*, user: User) -> QuerySet[SignInSession]:
    """The user's sign-in sessions whose current refresh token is outstanding: not expired, not revoked."""
    live_jtis = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values("jti")
    return SignInSession.objects.filter(user=user, revoked_at__isnull=True, jti__in=live_jtis).order_by("-last_used_at")


# --- who a bearer token signs in ------------------------------------------------------------------


@functools.cache
def _sign_in_statement() -> tuple[str, tuple, tuple]:
    """The sign-in query and the columns it reads, written once per process from the models' own fields.

    Every API request runs it; the ORM would spend more time composing it (select_related plus the session's
    EXISTS) than PostgreSQL spends answering it, so it is composed once, here, and only executed per request.
    """
    quote = connection.ops.quote_name
    user_fields, org_fields = list(User._meta.concrete_fields), list(Organization._meta.concrete_fields)
    columns = [f"u.{quote(f.column)}" for f in user_fields] + [f"o.{quote(f.column)}" for f in org_fields]
    session = SignInSession._meta
    organization_column = User._meta.get_field("organization").column
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"EXISTS (SELECT 1 FROM {quote(session.db_table)} s WHERE s.{quote(session.pk.column)} = %s"
        f" AND s.{quote(session.get_field('user').column)} = u.{quote(User._meta.pk.column)}"
        f" AND s.{quote(session.get_field('revoked_at').column)} IS NULL), "
        # The user's data version (dbooster.page_cache): their organization's and their own, summed. Both only
        # rise, so the sum changes whenever either does. (Two lookups cost PostgreSQL less than one with an OR.)
        f"{_version_of(DataVersion.Scope.ORGANIZATION, 'u.' + quote(organization_column))}"
        f" + {_version_of(DataVersion.Scope.USER, 'u.' + quote(User._meta.pk.column))}"
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT JOIN {quote(Organization._meta.db_table)} o"
        f" ON o.{quote(Organization._meta.pk.column)} = u.{quote(organization_column)}"
        f" WHERE u.{quote(User._meta.pk.column)} = %s"
    )
    return sql, _reading(user_fields, "u"), _reading(org_fields, "o")


def _version_of(scope: str, key_sql: str) -> str:
    """The data version of (`scope`, the key `key_sql` names), as SQL: the sum of its rows' weights (0: none)."""
    table = connection.ops.quote_name(DataVersion._meta.db_table)
    return f"(SELECT coalesce(sum(v.weight), 0)::bigint FROM {table} v WHERE v.scope = '{scope}' AND v.key = {key_sql})"


def _reading(fields, alias: str) -> tuple[tuple[str, ...], tuple]:
    """How a row's columns become an instance: the fields' attnames, and (position, column, converters) for the
    columns the ORM converts after reading (an encrypted field's decryption); the others are taken as read."""
    converting = []
    for position, field in enumerate(fields):
        col = field.get_col(alias)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            converting.append((position, col, tuple(converters)))
    return tuple(field.attname for field in fields), tuple(converting)


def _instance(model, reading, values, db_connection):
    attnames, converting = reading
    if converting:
        values = list(values)
        for position, col, converters in converting:
            for convert in converters:
                values[position] = convert(values[position], col, db_connection)
    return model.from_db(db_connection.alias, attnames, values)


# The rows the sign-in statement reads, kept by each process until a change to their tables (users,
# organizations, sign-in sessions, an organization's or a user's data versions) is announced: see `dbooster.notified_cache` and
# accounts/migrations/0007. An unchanged user's requests then sign in without a query; the checks on the row
# (active, password, session) are made on every request all the same.
SIGN_IN_CHANNEL = "dbooster_sign_in"
_sign_in_rows = NotifiedCache(SIGN_IN_CHANNEL)


def _sign_in_row(db_connection, user_id, session_id) -> tuple | None:
    """The sign-in statement's row for (user, session): from memory while nothing it reads has changed."""
    if not settings.SIGN_IN_CACHE:
        return _read_sign_in_row(db_connection, user_id, session_id)
    return _sign_in_rows.read(
        db_connection, (user_id, session_id), lambda: _read_sign_in_row(db_connection, user_id, session_id)
    )


def _read_sign_in_row(db_connection, user_id, session_id) -> tuple | None:
    sql = _sign_in_statement()[0]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [session_id, user_id])
        return cursor.fetchone()


def user_signing_in(*, user_id, session_id) -> tuple[User | None, bool]:
    """The user a token names, with their organization, and whether sign-in session `session_id` is still on.

    One query. (None, False) when no such user; the session is off when it was signed out or never existed.
    The user comes with `data_version` (dbooster.page_cache), read in the same statement.
    """
    try:
        user_id = User._meta.pk.to_python(user_id)
        session_id = int(session_id) if session_id is not None else 0
    except (DjangoValidationError, TypeError, ValueError):
        return None, False
    db_connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up again
    row = _sign_in_row(db_connection, user_id, session_id)
    if row is None:
        return None, False
    _sql, user_reading, org_reading = _sign_in_statement()
    n_user = len(user_reading[0])
    user = _instance(User, user_reading, row[:n_user], db_connection)
    org_values = row[n_user:-2]
    organization = (
        _instance(Organization, org_reading, org_values, db_connection) if org_values[0] is not None else None
    )
    User.organization.field.set_cached_value(user, organization)
    user.data_version = int(row[-1])
    return user, bool(row[-2])
