"""The deployment files cannot run here: these checks keep them consistent with the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
# env.str("NAME", ...), env.list(\n    "NAME", ...), env.db("NAME"), env("NAME")
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def settings_variables() -> set[str]:
    return set(ENV_READ.findall((BASE_DIR / "dbooster" / "settings.py").read_text()))


def env_example_variables() -> dict[str, str]:
    """NAME -> the line, for active (NAME=...) and documented-default (# NAME=...) lines."""
    found = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            found[match.group(1)] = line
    return found


def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_settings_read_the_variables_we_expect():
    # Guards the regular expression itself: these are read in settings today.
    assert {"DATABASE_URL", "JWT_SECRET", "SECRET_KEY", "TARGET_ALLOWED_NETWORKS"} <= settings_variables()


def test_env_example_lists_every_settings_variable():
    missing = settings_variables() - set(env_example_variables())
    assert not missing, f"add these to .env.example with a comment: {sorted(missing)}"


def test_env_example_has_the_seed_variables_with_comments():
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    documented = env_example_variables()
    for name in [
        "DATABASE_URL",
        "JWT_SECRET",
        "SECRET_KEY",
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "FRONTEND_URL",
        "FIELD_ENCRYPTION_KEYS",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "DEBUG",
        "ALLOWED_HOSTS",
    ]:
        assert name in documented, name
        index = lines.index(documented[name])
        # A comment explains it: the line above (or a block above it) is a real comment, not another variable.
        above = [line for line in lines[max(0, index - 6) : index] if line.startswith("#")]
        assert any(not re.match(r"^#\s*[A-Z][A-Z0-9_]*=", line) for line in above), name


def test_env_example_keeps_no_real_secret():
    for name, line in env_example_variables().items():
        if any(word in name for word in ("SECRET", "KEY", "PASSWORD")) and not line.startswith("#"):
            assert line == f"{name}=", f"{name} must be empty in .env.example"


def test_compose_has_postgres_web_worker_and_pgadmin():
    services = compose()["services"]
    assert set(services) == {"db", "web", "worker", "pgadmin"}
    assert services["db"]["image"] == "postgres:16"
    assert services["pgadmin"]["image"].startswith("dpage/pgadmin4")
    assert "5050:80" in services["pgadmin"]["ports"]
    assert "8000:8000" in services["web"]["ports"]


def test_compose_web_and_worker_use_the_postgres_service():
    services = compose()["services"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["image"] == "dbooster:latest", "web and worker run the same image"
        assert re.match(r"^postgres://dbooster:.+@db:5432/dbooster$", service["environment"]["DATABASE_URL"])
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["env_file"] == ".env"
    shell, flag, script = services["web"]["command"]
    assert (shell, flag) == ("sh", "-c")
    assert script == (
        "python manage.py migrate --noinput && "
        "exec gunicorn dbooster.wsgi:application --bind 0.0.0.0:8000 --workers 3 --access-logfile -"
    )
    assert services["worker"]["command"] == ["python", "manage.py", "procrastinate", "worker"]
    db_env = services["db"]["environment"]
    assert db_env["POSTGRES_DB"] == "dbooster" and db_env["POSTGRES_USER"] == "dbooster"


def test_dockerfile_builds_the_gunicorn_image():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert re.search(r'^CMD \["gunicorn", "dbooster\.wsgi:application"', dockerfile, re.M)
    assert (BASE_DIR / "dbooster" / "wsgi.py").exists()
    requirements = (BASE_DIR / "requirements.txt").read_text()
    assert re.search(r"^gunicorn==", requirements, re.M)
    assert re.search(r"^whitenoise==", requirements, re.M), "gunicorn serves the docs' static files through WhiteNoise"


def test_image_leaves_out_local_data_and_secrets():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored


def test_dockerfile_collectstatic_runs_without_any_secret():
    """The image is built without .env: the build step's own variables must be enough to load the settings."""
    import os
    import subprocess
    import sys

    dockerfile = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in dockerfile.splitlines() if "collectstatic" in line)
    build_env = dict(re.findall(r"\b([A-Z][A-Z0-9_]*)=(\S+)", line.split("python manage.py")[0]))
    assert build_env.get("DEBUG") == "true", "with DEBUG off the settings refuse to load without secrets"
    # No secret in the environment, as in `docker build` (.dockerignore keeps .env out of the image).
    unset = ("DJANGO_", "PYTEST", "DATABASE", "SECRET_KEY", "JWT_SECRET", "FIELD_ENCRYPTION_KEYS", "DEBUG")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(unset)}
    environ.update(build_env)
    environ["DJANGO_SETTINGS_MODULE"] = "dbooster.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "static files copied" in result.stdout
