"""Connection URLs: only a short list of libpq options, each checked; refused ones are named; no echo."""

from __future__ import annotations

import json
import logging

import pytest

from audit.models import AuditEvent
from dbooster.errors import InvalidInput
from schema_metadata import target

SECRET = "pw-Zq81secret"


@pytest.mark.parametrize(
    "option",
    ["sslkeylogfile=/tmp/keys", "passfile=/etc/shadow", "service=prod", "servicefile=/x", "sslkey=/x",
     "sslcert=/x", "sslcrl=/x", "sslcrldir=/x", "hostaddr=127.0.0.1", "krbsrvname=x", "gssdelegation=1",
     "sslpassword=x", "requirepeer=root", "load_balance_hosts=random", "keepalives=0"],
)  # fmt: skip
@pytest.mark.parametrize("form", ["url", "keywords"])
def test_options_off_the_list_are_refused_by_name(settings, option, form):
    settings.TARGET_ALLOW_LOCAL = False
    name = option.split("=")[0]
    url = (
        f"postgresql://app:{SECRET}@10.0.0.1/shop?{option}"
        if form == "url"
        else f"host=10.0.0.1 user=app password={SECRET} dbname=shop {option}"
    )
    with pytest.raises(InvalidInput) as caught:
        target.check_url(url)
    assert f"may not set {name}:" in caught.value.detail
    assert caught.value.extra["option"] == name
    assert SECRET not in caught.value.detail


@pytest.mark.parametrize(
    "query",
    [
        "sslmode=verify-full",
        "connect_timeout=3&application_name=reports",
        "target_session_attrs=read-write",
        "options=-c%20statement_timeout%3D5s%20-c%20search_path%3Dshop",
        "options=--lock_timeout%3D1s",
        "sslrootcert=system",
    ],
)
def test_options_on_the_list_pass(settings, query):
    settings.TARGET_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    target.check_url(f"postgresql://app:{SECRET}@10.0.0.1/shop?{query}")


@pytest.mark.parametrize(
    "query, why",
    [
        ("sslmode=bogus", "sslmode"),
        ("target_session_attrs=whatever", "target_session_attrs"),
        ("connect_timeout=forever", "connect_timeout"),
        ("options=-c%20session_preload_libraries%3Devil", "session_preload_libraries"),
        ("options=-c%20log_directory%3D/tmp", "log_directory"),
        ("options=-E", "-E"),
        ("dbname=host%3D10.0.0.2", "dbname"),
    ],
)
def test_values_of_allowed_options_are_checked(settings, query, why):
    with pytest.raises(InvalidInput, match=why):
        target.check_url(f"postgresql://app:{SECRET}@10.0.0.1/shop?{query}")


def test_sslrootcert_only_inside_the_operator_directory(settings, tmp_path):
    settings.TARGET_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    url = f"postgresql://app:{SECRET}@10.0.0.1/shop?sslmode=verify-full&sslrootcert="
    with pytest.raises(InvalidInput, match="no directory of CA files"):
        target.check_url(url + "ca.pem")  # no directory configured
    cas = tmp_path / "cas"
    cas.mkdir()
    (cas / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "outside.pem").write_text("x")
    settings.TARGET_SSLROOTCERT_DIR = str(cas)
    target.check_url(url + "ca.pem")
    target.check_url(url + str(cas / "ca.pem"))
    for bad in ("../outside.pem", str(tmp_path / "outside.pem"), "/etc/passwd", "missing.pem"):
        with pytest.raises(InvalidInput, match="sslrootcert"):
            target.check_url(url + bad)


@pytest.mark.django_db
def test_a_malformed_escape_never_echoes_the_password(admin_client, project, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://app:{SECRET}%zz@10.0.0.1/shop"
    response = admin_client.post(f"/projects/{project.id}/connections", {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_url" and "percent-escape" in body["detail"]
    assert SECRET not in json.dumps(body)
    assert SECRET not in caplog.text
    for event in AuditEvent.objects.all():
        assert SECRET not in json.dumps([event.action, event.metadata, str(event.target_repr or "")], default=str)


@pytest.mark.django_db
def test_api_answers_400_naming_the_option(admin_client, project):
    url = f"postgresql://app:{SECRET}@10.0.0.1/shop?sslkeylogfile=/tmp/keys.log"
    response = admin_client.post(f"/projects/{project.id}/connections", {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    assert "sslkeylogfile" in response.json()["detail"] and SECRET not in response.content.decode()
