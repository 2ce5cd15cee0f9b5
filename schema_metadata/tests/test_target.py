"""The network guard, connection errors and the always-rolled-back session, against real servers."""

import psycopg
import pytest

from dbooster.errors import InvalidInput, PermissionDenied, Unprocessable, UpstreamError
from schema_metadata import target
from schema_metadata.tests.conftest import run_sql
from schema_metadata.tests.fake_pg import closed_port, fake_server


@pytest.fixture
def strict(settings):
    """Production-like: no local targets, only one private network allowed."""
    settings.TARGET_ALLOW_LOCAL = False
    settings.TARGET_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@169.254.169.254:5432/db",  # cloud metadata
        "postgresql://u:p@169.254.10.1/db",  # link-local
        "postgresql://u:p@[fe80::1]:5432/db",
        "postgresql://u:p@[fd00:ec2::254]/db",
        "postgresql://u:p@metadata.google.internal/db",
        "postgresql://u:p@[::ffff:169.254.169.254]/db",  # IPv4-mapped IPv6 is unwrapped
        "postgresql://u:p@0.0.0.0/db",
    ],
)
def test_link_local_and_metadata_are_always_refused(settings, url):
    settings.TARGET_ALLOW_LOCAL = True
    settings.TARGET_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    with pytest.raises(PermissionDenied) as exc:
        target.check_url(url)
    assert "refused" in exc.value.detail


@pytest.mark.parametrize(
    "url, reason",
    [
        # IPv4 addresses wrapped in IPv6 (NAT64, 6to4, IPv4-compatible) are checked as the IPv4 they reach.
        ("postgresql://u:p@[64:ff9b::169.254.169.254]/db", "link-local and cloud metadata"),
        ("postgresql://u:p@[2002:a9fe:a9fe::1]/db", "link-local and cloud metadata"),
        ("postgresql://u:p@[::169.254.169.254]/db", "link-local and cloud metadata"),
        ("postgresql://u:p@[64:ff9b::7f00:1]/db", "loopback"),
        # Decimal and octal spellings resolve to the metadata address and are refused as such.
        ("postgresql://u:p@2852039166/db", "link-local and cloud metadata"),
        ("postgresql://u:p@0251.0376.0251.0376/db", "link-local and cloud metadata"),
        # The unspecified addresses reach DBooster's own machine.
        ("postgresql://u:p@[::]/db", "unspecified address"),
        ("postgresql://u:p@0.0.0.0/db", "unspecified address"),
    ],
)
def test_disguised_addresses_are_refused(url, reason, settings):
    settings.TARGET_ALLOW_LOCAL = False
    settings.TARGET_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    with pytest.raises(PermissionDenied, match=reason):
        target.check_url(url)
    target.check_url("postgresql://u:p@[64:ff9b::808:808]/db")  # NAT64 of a public address: allowed


@pytest.mark.parametrize(
    "url, reason",
    [
        ("postgresql://u:p@127.0.0.1:5432/db", "loopback"),
        ("postgresql://u:p@localhost/db", "loopback"),
        ("postgresql://u:p@[::1]/db", "loopback"),
        ("postgresql://u@/db?host=/var/run/postgresql", "Unix-socket"),
        ("postgresql:///db", "Unix-socket"),
        ("postgresql://u:p@203.0.113.7/db", "outside the networks"),
        ("postgresql://u:p@192.168.1.5/db", "outside the networks"),
    ],
)
def test_local_and_unlisted_networks_are_refused_outside_development(strict, url, reason):
    with pytest.raises(PermissionDenied, match=reason):
        target.check_url(url)


def test_listed_network_is_allowed(strict):
    target.check_url("postgresql://u:p@10.1.2.3:5432/db")  # no exception: nothing is contacted


def test_loopback_allowed_in_development(settings):
    settings.TARGET_ALLOW_LOCAL = True
    target.check_url("postgresql://u:p@127.0.0.1:5432/db")
    target.check_url("postgresql://u@/db?host=/tmp")


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u:p@10.0.0.1/db", "must look like postgresql://"),
        ("", "empty"),
        ("postgresql://u:p@10.0.0.1/db?passfile=/etc/shadow", "passfile"),
        ("postgresql://u:p@10.0.0.1/db?service=prod", "service"),
        ("postgresql://u:p@10.0.0.1:99999/db", "port"),
        ("postgresql://u:p@10.0.0.1/db?hostaddr=127.0.0.1", "hostaddr"),
        ("postgresql://u:p@10.0.0.1,10.0.0.2/db", "one host"),
    ],
)
def test_malformed_or_dangerous_urls_are_invalid(strict, url, message):
    with pytest.raises(InvalidInput, match=message):
        target.check_url(url)


def test_unresolvable_host_is_a_clear_error(strict):
    # A name that cannot be a DNS name at all fails locally (no query leaves the machine).
    with pytest.raises(InvalidInput, match="could not be resolved") as exc:
        target.check_url("postgresql://u:p@bad..host/db")
    assert exc.value.code == "dns_failure"


def test_connect_refused_port(local_targets):
    with pytest.raises(UpstreamError, match="refused the connection") as exc:
        target.connect(f"postgresql://u:p@127.0.0.1:{closed_port()}/db", connect_timeout=2)
    assert exc.value.code == "target_unreachable"


def test_connect_timeout(local_targets):
    with fake_server("silent") as port:
        with pytest.raises(target.TargetTimeout, match="did not answer in time") as exc:
            target.connect(f"postgresql://u:p@127.0.0.1:{port}/db?sslmode=disable", connect_timeout=1)
    assert exc.value.status_code == 504


def test_wrong_password_carries_the_database_message(local_targets):
    with fake_server("wrong_password") as port:
        with pytest.raises(Unprocessable, match='password authentication failed for user "app"') as exc:
            target.connect(f"postgresql://app:nope@127.0.0.1:{port}/db?sslmode=disable", connect_timeout=3)
    assert exc.value.code == "target_auth_failed"
    assert "nope" not in exc.value.detail


def test_missing_database(local_targets, scratch_database):
    url = scratch_database.replace("/scratch_", "/missing_")
    with pytest.raises(Unprocessable, match="does not exist") as exc:
        target.connect(url)
    assert exc.value.code == "target_database_missing"


def test_connect_refuses_before_contacting(settings, scratch_database):
    settings.TARGET_ALLOW_LOCAL = False
    with pytest.raises(PermissionDenied):
        target.connect(scratch_database)


@pytest.fixture
def items_url(scratch_database):
    run_sql(scratch_database, "CREATE TABLE items (id int); INSERT INTO items VALUES (1)")
    return scratch_database


def test_session_is_read_only(local_targets, items_url):
    with pytest.raises(Unprocessable, match="read-only") as exc:
        with target.session(items_url) as conn:
            conn.execute("INSERT INTO items VALUES (2)")
    assert exc.value.code == "read_only"
    with target.session(items_url) as conn:
        assert conn.execute("SHOW transaction_read_only").fetchone()[0] == "on"


def test_session_always_rolls_back(local_targets, items_url):
    with target.session(items_url, read_only=False) as conn:
        conn.execute("INSERT INTO items VALUES (2), (3)")
        conn.execute("DELETE FROM items WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2
    assert run_sql(items_url, "SELECT array_agg(id) FROM items") == [([1],)]


def test_session_sets_timeouts(local_targets, items_url):
    with target.session(items_url, statement_timeout_ms=1234, lock_timeout_ms=567) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "1234ms"
        assert conn.execute("SHOW lock_timeout").fetchone()[0] == "567ms"


def test_statement_timeout_is_a_clear_error(local_targets, items_url):
    with pytest.raises(target.TargetTimeout, match="statement timeout") as exc:
        with target.session(items_url, statement_timeout_ms=200) as conn:
            conn.execute("SELECT pg_sleep(3)")
    assert exc.value.extra["sqlstate"] == "57014"


def test_lock_timeout_is_a_conflict(local_targets, items_url):
    with psycopg.connect(items_url) as holder:
        holder.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(Exception) as exc:
            with target.session(items_url, lock_timeout_ms=200) as conn:
                conn.execute("SELECT * FROM items")
        holder.rollback()
    assert exc.value.status_code == 409
    assert exc.value.code == "lock_timeout"
