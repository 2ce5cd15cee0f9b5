"""Settings read from the environment, checked in a fresh interpreter (settings load once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]

# Never connects: settings only parse it, which keeps the embedded server out of these runs.
DUMMY_DATABASE_URL = "postgres://nobody:nothing@127.0.0.1:9/never"

SAFE = {
    "SECRET_KEY": "a-real-production-secret-key-0123456789-abcdefghijklmnop",
    "JWT_SECRET": "a-real-production-jwt-secret-0123456789-abcdefghijklmnop",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


def run(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a new Python with our settings and these variables (None removes one)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dbooster.settings",
            "DATABASE_URL": DUMMY_DATABASE_URL,
            # Empty strings, so that a developer's .env cannot fill them in behind the test's back.
            "SECRET_KEY": "",
            "JWT_SECRET": "",
            "FIELD_ENCRYPTION_KEYS": "",
        }
    )
    environ.update(env)
    environ = {k: v for k, v in environ.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=120
    )


SETUP = "import django; django.setup(); print('started')"


def test_debug_off_refuses_to_start_without_secrets_and_names_them():
    result = run(SETUP, DEBUG="false")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    for name in ("SECRET_KEY", "JWT_SECRET", "FIELD_ENCRYPTION_KEYS"):
        assert name in result.stderr


def test_debug_off_refuses_the_development_defaults():
    from dbooster import settings as s

    result = run(
        SETUP,
        DEBUG="false",
        SECRET_KEY=s._DEV_SECRET_KEY,
        JWT_SECRET=SAFE["JWT_SECRET"],
        FIELD_ENCRYPTION_KEYS=f"{SAFE['FIELD_ENCRYPTION_KEYS']},{s._DEV_FIELD_KEY}",
    )
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY" in message and "FIELD_ENCRYPTION_KEYS" in message
    assert "JWT_SECRET" not in message, "only the unsafe ones are named"


def test_debug_off_starts_when_the_secrets_are_set():
    result = run(SETUP, DEBUG="false", **SAFE)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_manage_check_passes_with_secrets_and_fails_without():
    check = "import sys; from django.core.management import execute_from_command_line; execute_from_command_line(['manage.py', 'check'])"
    ok = run(check, DEBUG="false", **SAFE)
    assert ok.returncode == 0, ok.stderr
    assert "System check identified no issues" in ok.stdout
    refused = run(check, DEBUG="false")
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stderr


DEVELOPMENT = {"DEBUG": "true", "SECRET_KEY": None, "JWT_SECRET": None, "FIELD_ENCRYPTION_KEYS": None}


def test_debug_on_uses_development_defaults():
    result = run(SETUP, **DEVELOPMENT)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FRONTEND_URL": "http://localhost:3000", "CORS_EXTRA_ORIGINS": ""}, ["http://localhost:3000"]),
        (
            {"FRONTEND_URL": "https://app.example.com/", "CORS_EXTRA_ORIGINS": "https://a.example,https://b.example"},
            ["https://app.example.com", "https://a.example", "https://b.example"],
        ),
    ],
)
def test_cors_origins_come_from_frontend_url_and_the_extra_list(env, expected):
    code = "import django; django.setup(); from django.conf import settings; import json; print(json.dumps(settings.CORS_ALLOWED_ORIGINS))"
    result = run(code, **{**DEVELOPMENT, **env})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_github_enterprise_sign_in_follows_github_web_url():
    code = (
        "import django; django.setup(); "
        "from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter as A; "
        "print(A.authorize_url, A.access_token_url, A.profile_url)"
    )
    result = run(code, **{**DEVELOPMENT, "GITHUB_WEB_URL": "https://ghe.example.com/"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "https://ghe.example.com/login/oauth/authorize",
        "https://ghe.example.com/login/oauth/access_token",
        "https://ghe.example.com/api/v3/user",
    ]


def test_database_url_replaces_the_embedded_server():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'], s.USING_EMBEDDED_POSTGRES]))"
    )
    result = run(code, **{**DEVELOPMENT, "DATABASE_URL": "postgres://app:pw@db.example.com:5433/dbooster_prod"})
    assert result.returncode == 0, result.stderr
    engine, host, port, name, user, embedded = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.postgresql"
    assert (host, str(port), name, user, embedded) == ("db.example.com", "5433", "dbooster_prod", "app", False)
