"""Reaching a user's database safely. Plain module: usable from services, jobs and scripts.

- `check_url(url)`: the network guard. DBooster must not become a proxy into the
  networks it runs in: only TARGET_ALLOWED_NETWORKS, never link-local or cloud
  metadata addresses, loopback and Unix sockets only with TARGET_ALLOW_LOCAL.
- `connect(url)`: a guarded connection, its failures turned into clear DomainErrors.
- `session(url)`: a transaction with timeouts that is always rolled back.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connections as db_connections
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbooster.errors import Conflict, DomainError, InvalidInput, PermissionDenied, Unprocessable, UpstreamError

# An abandoned session ends after twice the statement timeout idle in its transaction, but never sooner than
# this: a 1 ms statement timeout must not end the session in the moment between two of our own statements.
IDLE_IN_TRANSACTION_FLOOR_MS = 5_000


class TargetTimeout(DomainError):
    """The user's database did not answer in time (connect or statement timeout)."""

    status_code = 504
    code = "target_timeout"


class _DeadlineConnection(psycopg.Connection):
    """A connection whose every wait on the server is bounded by a client-side deadline.

    The server's statement_timeout cannot fire in a server process that is stopped (SIGSTOP, a frozen VM,
    a black-holed network: the kernel still acknowledges keepalives). Past `deadline_s` without an answer
    the query is cancelled, the connection closed, and TargetTimeout (504) names the deadline.
    """

    deadline_s: float = 60.0

    def wait(self, gen, interval=0.1, timeout=None):
        limit = self.deadline_s if timeout is None else min(timeout, self.deadline_s)
        try:
            return super().wait(gen, interval, timeout=limit)
        except pg_errors._WaitTimeout:  # psycopg's own signal that `timeout` passed (used by psycopg too)
            _abandon(self)
            raise TargetTimeout(
                f"The database did not answer within the client-side deadline of {self.deadline_s:g} s "
                "(TARGET_CLIENT_DEADLINE_GRACE_S past the statement timeout): the query was cancelled and the "
                "connection closed.",
                code="target_deadline",
                extra={"deadline_s": self.deadline_s},
            ) from None


def _abandon(conn: psycopg.Connection) -> None:
    """Cancel what runs (best effort, bounded) and close the connection without waiting on the server."""
    try:
        conn.cancel_safe(timeout=2)
    except Exception:  # noqa: BLE001 - a frozen server does not answer the cancel request either
        pass
    try:
        conn.pgconn.finish()  # closes the socket; conn.close() could try to talk to the server
    except Exception:  # noqa: BLE001
        pass
    conn.close()


def default_deadline_s(statement_timeout_ms: int | None = None) -> float:
    """The client-side deadline for one wait: the statement timeout plus a grace for the network."""
    statement_ms = int(statement_timeout_ms or settings.TARGET_STATEMENT_TIMEOUT_MS)
    return statement_ms / 1000 + float(settings.TARGET_CLIENT_DEADLINE_GRACE_S)


# Always refused: link-local (cloud metadata lives there), plus the metadata addresses
# that are not link-local on some clouds.
_ALWAYS_REFUSED = [
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("0.0.0.0/8"),  # "this host": reaches local services
    ipaddress.ip_network("224.0.0.0/4"),
    ipaddress.ip_network("ff00::/8"),
]
_METADATA_HOSTNAMES = {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
# libpq options a connection may set, each with what it may hold; every other option (sslkeylogfile,
# passfile, service, sslkey, sslcert, sslcrl, hostaddr, ...) makes libpq read or write files or services on
# DBooster's own machine, or change where it connects, and is refused by name.
_CORE_PARAMS = {"user", "password", "host", "port", "dbname"}
_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
_SESSION_ATTRS = {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}
_OPTION_PARAMS = {"sslmode", "sslrootcert", "connect_timeout", "application_name", "target_session_attrs", "options"}
# Settings `options=-c name=value` may set: per-session behaviour only, nothing that reads files or needs a
# superuser (session_preload_libraries, log_*, ...).
SAFE_SESSION_SETTINGS = frozenset(
    {
        "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "search_path",
        "application_name", "timezone", "datestyle", "intervalstyle", "work_mem", "jit", "random_page_cost",
        "effective_cache_size", "default_statistics_target", "enable_seqscan", "enable_indexscan",
        "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin", "enable_nestloop", "plan_cache_mode",
    }
)  # fmt: skip
_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class _Target:
    params: dict  # libpq parameters, hostaddr pinned to the addresses that were checked


def _allowed_networks():
    networks = []
    for cidr in settings.TARGET_ALLOWED_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            continue  # a typo in the setting must not open everything; it just matches nothing
    return networks


def _local_allowed() -> bool:
    return bool(getattr(settings, "TARGET_ALLOW_LOCAL", False))


# IPv6 forms that carry an IPv4 address a router may translate to: NAT64 (64:ff9b::/96), and
# the deprecated IPv4-compatible form (::a.b.c.d). 6to4 (2002::/16) is unwrapped by ipaddress.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress._BaseAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    low = int(address) & 0xFFFFFFFF
    if address in _NAT64 or (int(address) >> 32 == 0 and low > 1):
        return ipaddress.IPv4Address(low)
    return None


def _check_address(host: str, address: ipaddress._BaseAddress) -> None:
    # The IPv4 address inside an IPv6 one is checked too: ::ffff:169.254.169.254 is the metadata service.
    address = _embedded_ipv4(address) or address
    if address.is_unspecified:
        # 0.0.0.0 and :: reach DBooster's own machine, like loopback.
        raise PermissionDenied(
            f"Connections to {host} ({address}) are refused: the unspecified address reaches DBooster's own server.",
            code="target_refused",
        )
    for network in _ALWAYS_REFUSED:
        if address.version == network.version and address in network:
            raise PermissionDenied(
                f"Connections to {host} ({address}) are refused: link-local and cloud metadata addresses "
                "are never allowed.",
                code="target_refused",
            )
    if address.is_loopback:
        if not _local_allowed():
            raise PermissionDenied(
                f"Connections to {host} ({address}) are refused: loopback addresses are allowed only "
                "where this server's operator has turned on local targets (development).",
                code="target_refused",
            )
        return
    if not any(address.version == n.version and address in n for n in _allowed_networks()):
        raise PermissionDenied(
            f"Connections to {host} ({address}) are refused: the address is outside the networks "
            "this server's operator allows.",
            code="target_refused",
        )


def _resolve(host: str, port: int) -> list[ipaddress._BaseAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(
            f"The host name {host!r} could not be resolved (DNS): {getattr(exc, 'strerror', None) or exc}.",
            code="dns_failure",
        ) from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise InvalidInput(f"The host name {host!r} resolved to no address.", code="dns_failure")
    return addresses


def _refuse_option(name: str, why: str):
    raise InvalidInput(f"The connection URL may not set {name}: {why}", code="invalid_url", extra={"option": name})


def _check_options_setting(value: str) -> None:
    """`options` may hold only `-c name=value` (or `--name=value`) of SAFE_SESSION_SETTINGS."""
    words = re.findall(r"(?:\\.|[^\s\\])+", value)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            assignment, i = words[i + 1], i + 2
        elif word.startswith("-c") and len(word) > 2:
            assignment, i = word[2:], i + 1
        elif word.startswith("--") and "=" in word:
            assignment, i = word[2:], i + 1
        else:
            _refuse_option("options", f"only -c name=value of a few session settings is allowed (found {word!r}).")
        name = assignment.split("=", 1)[0].strip().lower().replace("-", "_")
        if "=" not in assignment or name not in SAFE_SESSION_SETTINGS:
            _refuse_option(
                "options",
                f"the setting {name!r} is not one of {', '.join(sorted(SAFE_SESSION_SETTINGS))}.",
            )


def _sslrootcert_path(value: str) -> str:
    """The CA file inside the operator's TARGET_SSLROOTCERT_DIR (or `system`, the system's CA store)."""
    if value == "system":
        return value
    directory = str(getattr(settings, "TARGET_SSLROOTCERT_DIR", "") or "")
    if not directory:
        _refuse_option("sslrootcert", "this server's operator has configured no directory of CA files.")
    root = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(root, value))
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        _refuse_option("sslrootcert", "name a CA file inside the server's directory of CA files.")
    return path


def _check_params(params: dict) -> dict:
    """The parameters with every option checked against the allow-list; InvalidInput naming the first refused."""
    for name in sorted(set(params) - _CORE_PARAMS - _OPTION_PARAMS):
        _refuse_option(
            name,
            "only sslmode, sslrootcert, connect_timeout, application_name, target_session_attrs and options "
            "are allowed.",
        )
    checked = dict(params)
    value = str(params.get("dbname") or "")
    if "=" in value or value.lower().startswith(_SCHEMES):
        _refuse_option("dbname", "a database name, not a connection string.")
    if "sslmode" in params and params["sslmode"] not in _SSLMODES:
        _refuse_option("sslmode", f"use one of {', '.join(sorted(_SSLMODES))}.")
    if "target_session_attrs" in params and params["target_session_attrs"] not in _SESSION_ATTRS:
        _refuse_option("target_session_attrs", f"use one of {', '.join(sorted(_SESSION_ATTRS))}.")
    if "connect_timeout" in params and not re.fullmatch(r"\d{1,3}", str(params["connect_timeout"])):
        _refuse_option("connect_timeout", "give a number of seconds.")
    if len(str(params.get("application_name") or "")) > 64:
        _refuse_option("application_name", "at most 64 characters.")
    if "options" in params:
        _check_options_setting(str(params["options"]))
    if "sslrootcert" in params:
        checked["sslrootcert"] = _sslrootcert_path(str(params["sslrootcert"]))
    return checked


def _parse(url: str) -> dict:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("The connection URL is empty.", code="invalid_url")
    url = url.strip()
    if "://" in url.split("?", 1)[0] and not url.lower().startswith(_SCHEMES):
        raise InvalidInput(
            "The connection URL must look like postgresql://user:password@host:5432/dbname.", code="invalid_url"
        )
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        unknown = re.search(r'invalid (?:URI query parameter: |connection option )"([A-Za-z_]+)"', str(exc))
        if unknown:
            _refuse_option(unknown.group(1), "libpq does not know it, and only a few options are allowed.")
        # Any other message of libpq quotes the offending part, which may be the password: never echo it.
        raise InvalidInput(
            "The connection URL is not valid: check its percent-escapes (%XX) and quoting.", code="invalid_url"
        ) from None
    # Both forms (URL and key=value) reach libpq the same way: the same allow-list applies to both.
    params = _check_params(params)
    if not url.lower().startswith(_SCHEMES):
        raise InvalidInput(
            "The connection URL must look like postgresql://user:password@host:5432/dbname.", code="invalid_url"
        )
    return params


def _guard(url: str) -> _Target:
    params = _parse(url)
    hosts = [h.strip() for h in str(params.get("host") or "").split(",")]
    ports = [p.strip() for p in str(params.get("port") or "").split(",")]
    if len(hosts) > 1:
        raise InvalidInput("Give one host in the connection URL.", code="invalid_url")
    host = hosts[0]
    try:
        port = int(ports[0] or 5432)
    except ValueError:
        raise InvalidInput(f"The port {ports[0]!r} is not a number.", code="invalid_url") from None
    if not 0 < port < 65536:
        raise InvalidInput(f"The port {port} is out of range.", code="invalid_url")
    # No host, or a path: a Unix socket on DBooster's own machine.
    if not host or host.startswith("/") or host.startswith("@"):
        if not _local_allowed():
            raise PermissionDenied(
                "Unix-socket connections (no host, or a path as host) are allowed only where this server's "
                "operator has turned on local targets (development).",
                code="target_refused",
            )
        return _Target(params=params)
    if host.lower().rstrip(".") in _METADATA_HOSTNAMES:
        raise PermissionDenied(
            f"Connections to {host} are refused: it is a cloud metadata service.", code="target_refused"
        )
    addresses = _resolve(host, port)
    for address in addresses:
        _check_address(host, address)
    # Pin the checked addresses so a second DNS answer cannot point elsewhere (DNS rebinding).
    pinned = dict(params)
    pinned["hostaddr"] = ",".join(str(a) for a in addresses)
    pinned["host"] = ",".join([host] * len(addresses))
    pinned["port"] = ",".join([str(port)] * len(addresses))
    return _Target(params=pinned)


def check_url(url: str) -> None:
    """Raise InvalidInput or PermissionDenied if DBooster may not connect to `url`."""
    _guard(url)


def _error_text(exc: Exception) -> str:
    text = str(exc).strip()
    # libpq prefixes each attempt with 'connection to server at ... failed:'; keep the reason.
    return " ".join(text.split()) or exc.__class__.__name__


def map_connect_error(exc: psycopg.OperationalError) -> DomainError:
    message = _error_text(exc)
    lowered = message.lower()
    sqlstate = getattr(exc, "sqlstate", None)
    if (
        sqlstate in ("28P01", "28000")
        or "password authentication failed" in lowered
        or "no password supplied" in lowered
    ):
        return Unprocessable(f"The database refused the credentials: {message}", code="target_auth_failed")
    if sqlstate == "3D000" or ("database" in lowered and "does not exist" in lowered):
        return Unprocessable(f"The database does not exist: {message}", code="target_database_missing")
    if "timeout expired" in lowered or "timed out" in lowered:
        return TargetTimeout(f"The database did not answer in time: {message}", code="target_timeout")
    if "connection refused" in lowered or "no such file or directory" in lowered:
        return UpstreamError(f"The database refused the connection: {message}", code="target_unreachable")
    if "could not translate host name" in lowered:
        return InvalidInput(f"The host name could not be resolved (DNS): {message}", code="dns_failure")
    return UpstreamError(f"Could not connect to the database: {message}", code="target_unreachable")


def connect(
    url: str,
    *,
    connect_timeout: int | None = None,
    autocommit: bool = False,
    deadline_s: float | None = None,
    **kwargs,
) -> psycopg.Connection:
    """A connection to the user's database, after the network guard; every wait bounded by `deadline_s`."""
    target = _guard(url)
    timeout = connect_timeout if connect_timeout is not None else settings.TARGET_CONNECT_TIMEOUT
    params = dict(target.params)
    params.setdefault("application_name", "dbooster")
    # The URL may ask for less time than the operator's limit, never more (0 would mean forever).
    asked = int(params.get("connect_timeout") or 0)
    params["connect_timeout"] = str(max(1, min(int(timeout), asked) if asked > 0 else int(timeout)))
    # A dead peer is noticed instead of hanging forever.
    params.setdefault("keepalives", "1")
    params.setdefault("keepalives_idle", "10")
    params.setdefault("keepalives_interval", "5")
    params.setdefault("keepalives_count", "3")
    try:
        conn = _DeadlineConnection.connect(make_conninfo(**params), autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        raise map_connect_error(exc) from None
    conn.deadline_s = float(deadline_s) if deadline_s else default_deadline_s()
    try:
        _refuse_dbooster_database(conn)
    except psycopg.Error as exc:
        conn.close()
        raise map_query_error(exc) from None
    return conn


# Which cluster and database a connection reached: the system identifier (pg_control_system, readable by
# every role unless revoked) and the postmaster's start time identify the cluster, the name the database.
_IDENTITY_SQL = "SELECT pg_postmaster_start_time()::text, current_database()"
_SYSTEM_ID_SQL = "SELECT system_identifier::text FROM pg_control_system()"
_own_identity: tuple | None = None


def _identity(cursor_execute) -> tuple[str | None, str, str]:
    """(system identifier or None, postmaster start time, database name) through `cursor_execute(sql)`."""
    started, database = cursor_execute(_IDENTITY_SQL)
    try:
        system_id = cursor_execute(_SYSTEM_ID_SQL)[0]
    except Exception:  # noqa: BLE001 - execute revoked: the start time still identifies the cluster
        system_id = None
    return system_id, started, database


def _dbooster_identity() -> tuple:
    """DBooster's own database, read once per process on a connection of its own (no Django transaction)."""
    global _own_identity
    db = db_connections["default"].settings_dict
    key = (db.get("HOST"), db.get("PORT"), db.get("NAME"))
    if _own_identity is None or _own_identity[0] != key:
        params = {"host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"),
                  "password": db.get("PASSWORD"), "dbname": db.get("NAME")}  # fmt: skip
        with psycopg.connect(**{k: str(v) for k, v in params.items() if v}, autocommit=True) as own:
            _own_identity = (key, _identity(lambda text: own.execute(text).fetchone()))
    return _own_identity[1]


def _refuse_dbooster_database(conn: psycopg.Connection) -> None:
    """PermissionDenied when `conn` reached DBooster's own database (whatever name or address it was given)."""

    def run(text):
        # A plain cursor: the caller's cursor_factory (which may count or log statements) is not involved.
        if conn.autocommit:
            return psycopg.Cursor(conn).execute(text).fetchone()
        with conn.transaction():
            return psycopg.Cursor(conn).execute(text).fetchone()

    system_id, started, database = _identity(run)
    own_system_id, own_started, own_database = _dbooster_identity()
    same_cluster = (system_id is not None and system_id == own_system_id) or started == own_started
    if same_cluster and database == own_database:
        conn.close()
        raise PermissionDenied(
            "This is DBooster's own database: it can never be a target (not even in development).",
            code="target_is_dbooster",
        )


def map_query_error(exc: psycopg.Error) -> DomainError:
    """A database error while running a statement, as a clear API error with the database's message."""
    message = _error_text(exc)
    diag = getattr(exc, "diag", None)
    primary = (diag.message_primary if diag is not None else None) or message
    extra = {"database_message": primary}
    if diag is not None:
        if diag.sqlstate:
            extra["sqlstate"] = diag.sqlstate
        if diag.message_detail:
            extra["database_detail"] = diag.message_detail
        if diag.message_hint:
            extra["database_hint"] = diag.message_hint
    if isinstance(exc, pg_errors.QueryCanceled):
        if "statement timeout" in message.lower():
            return TargetTimeout(f"The query ran past the statement timeout: {primary}", extra=extra)
        return TargetTimeout(f"The query was cancelled: {primary}", code="target_cancelled", extra=extra)
    if isinstance(exc, pg_errors.LockNotAvailable):
        return Conflict(f"The query waited too long for a lock: {primary}", code="lock_timeout", extra=extra)
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return PermissionDenied(
            f"The database user lacks a privilege: {primary}", code="target_permission_denied", extra=extra
        )
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return Unprocessable(
            f"The statement tried to write inside a read-only analysis: {primary}", code="read_only", extra=extra
        )
    if isinstance(exc, (pg_errors.AdminShutdown, pg_errors.CrashShutdown)) or (
        isinstance(exc, psycopg.OperationalError) and not getattr(exc, "sqlstate", None)
    ):
        return UpstreamError(f"The connection to the database was lost: {primary}", code="target_connection_lost")
    sqlstate = getattr(exc, "sqlstate", None) or ""
    # Class 42 (syntax, unknown table or column) and 22 (bad data): the query is at fault.
    if sqlstate[:2] in ("42", "22"):
        return InvalidInput(f"The database rejected the query: {primary}", code="query_error", extra=extra)
    if isinstance(exc, psycopg.DatabaseError) and getattr(exc, "sqlstate", None):
        return Unprocessable(f"The database reported an error: {primary}", code="query_error", extra=extra)
    return UpstreamError(f"The database failed: {primary}", code="target_error", extra=extra)


@contextmanager
def session(
    url: str,
    *,
    read_only: bool = True,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    connect_timeout: int | None = None,
    repeatable_read: bool = False,
    snapshot: str | None = None,
):
    """A connection inside one transaction that is ALWAYS rolled back.

    SET LOCAL statement_timeout / lock_timeout bound every statement; READ ONLY unless
    asked otherwise; every wait on the server has a client-side deadline (the statement timeout plus
    TARGET_CLIENT_DEADLINE_GRACE_S) past which the query is cancelled and the connection closed. `repeatable_read` gives one consistent view (pg_export_snapshot can
    share it); `snapshot` joins such a view from another session (SET TRANSACTION SNAPSHOT).
    Database errors inside come out as DomainErrors.
    """
    statement_ms = int(statement_timeout_ms or settings.TARGET_STATEMENT_TIMEOUT_MS)
    lock_ms = int(lock_timeout_ms or settings.TARGET_LOCK_TIMEOUT_MS)
    conn = connect(url, connect_timeout=connect_timeout, autocommit=True, deadline_s=default_deadline_s(statement_ms))
    try:
        isolation = " ISOLATION LEVEL REPEATABLE READ" if (repeatable_read or snapshot) else ""
        conn.execute(f"BEGIN{isolation} {'READ ONLY' if read_only else 'READ WRITE'}")
        if snapshot:
            # Must come before any query of the transaction: see exactly what another session sees.
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        conn.execute(
            "SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true), "
            "set_config('idle_in_transaction_session_timeout', %s, true)",
            [f"{statement_ms}ms", f"{lock_ms}ms", f"{max(statement_ms * 2, IDLE_IN_TRANSACTION_FLOOR_MS)}ms"],
        )
        yield conn
    except psycopg.Error as exc:
        raise map_query_error(exc) from None
    finally:
        try:
            if not conn.closed:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # the connection is gone: nothing was committed
        finally:
            conn.close()
