"""Fixtures of the repositories tests: a fake GitHub on 127.0.0.1, real local git repositories, archives."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from repositories.tests.corpora import ARCHIVES, scan_from_disk

GOOD_TOKEN = "ghp_good_token"
RATE_LIMITED_TOKEN = "ghp_rate_limited"
RESET_AT = 1893456000  # 2030-01-01T00:00:00Z

SAMPLE_FILES = {
    "app/db.py": (
        "def active(cur, org):\n"
        '    cur.execute("SELECT id, email FROM users WHERE organization_id = %s AND active", (org,))\n'
        "    return cur.fetchall()\n"
        "\n"
        "def touch(cur, uid):\n"
        '    cur.execute("UPDATE users SET last_login_at = now() WHERE id = %(uid)s", {"uid": uid})\n'
    ),
    "web/orders.js": (
        "export const recent = (pool, id) =>\n"
        "  pool.query('SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC', [id]);\n"
        "console.log('Select a customer from the list');\n"
    ),
    "db/report.sql": "-- name: top-customers\nSELECT customer_id, sum(total) FROM orders GROUP BY 1;\n",
    "cmd/main.go": "package main\n\nconst q = `SELECT id, email FROM users WHERE organization_id = $1 AND active`\n",
    "README.md": "Select rows from users: not code.\n",
}


def make_tarball(files: dict[str, str], prefix: str = "acme-shop-abc123/") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class FakeGitHub:
    """Answers like api.github.com for the calls our code makes, on 127.0.0.1 and a free port."""

    def __init__(self):
        self.repos = [
            {"name": f"repo{i}", "full_name": f"acme/repo{i}", "private": i % 2 == 1, "default_branch": "main"}
            for i in range(5)
        ]
        self.repos.append({"name": "shop", "full_name": "acme/shop", "private": True, "default_branch": "main"})
        self.tarballs = {("acme/shop", "main"): make_tarball(SAMPLE_FILES)}
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append((self.path, self.headers.get("Authorization")))
                fake.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def repo_json(self, repo: dict) -> dict:
        return {
            **repo,
            "id": zlib.crc32(repo["full_name"].encode())
            % 10**6,  # the same in every run (hash() is salted per process)
            "url": f"{self.url}/repos/{repo['full_name']}",
            "html_url": f"{self.url}/{repo['full_name']}",
            "pushed_at": "2026-11-01T12:00:00Z",
            "owner": {"login": repo["full_name"].split("/")[0]},
        }

    @staticmethod
    def send(handler, status: int, body=None, headers: dict | None = None, raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json" if raw is None else "application/gzip")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler):
        parts = urlsplit(handler.path)
        path = parts.path
        if path.startswith("/codeload/"):
            _, _, owner, name, ref = path.split("/", 4)
            data = self.tarballs.get((f"{owner}/{name}", ref.removesuffix(".tar.gz")))
            return self.send(handler, 200, raw=data) if data else self.send(handler, 404, {"message": "Not Found"})
        auth = handler.headers.get("Authorization") or ""
        token = auth.split(" ", 1)[1] if " " in auth else ""
        if token == RATE_LIMITED_TOKEN:
            return self.send(
                handler,
                403,
                {"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com"},
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(RESET_AT)},
            )
        if token and token != GOOD_TOKEN:
            return self.send(
                handler, 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
        if path == "/user/repos":
            if not token:
                return self.send(handler, 401, {"message": "Requires authentication"})
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            per_page = 2  # small pages, so pagination is exercised
            chunk = self.repos[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(self.repos):
                headers["Link"] = f'<{self.url}/user/repos?page={page + 1}>; rel="next"'
            return self.send(handler, 200, [self.repo_json(r) for r in chunk], headers)
        segments = path.strip("/").split("/")
        if len(segments) >= 3 and segments[0] == "repos":
            full_name = f"{segments[1]}/{segments[2]}"
            repo = next((r for r in self.repos if r["full_name"] == full_name), None)
            if repo is None or (repo["private"] and token != GOOD_TOKEN):
                return self.send(handler, 404, {"message": "Not Found"})
            if len(segments) == 3:
                return self.send(handler, 200, self.repo_json(repo))
            if segments[3] == "tarball" and len(segments) >= 5:
                ref = "/".join(segments[4:])
                if (full_name, ref) not in self.tarballs:
                    return self.send(handler, 404, {"message": "Not Found"})
                location = f"{self.url}/codeload/{full_name}/{ref}.tar.gz"
                return self.send(handler, 302, {}, {"Location": location})
        return self.send(handler, 404, {"message": "Not Found"})


@pytest.fixture
def fake_github(settings):
    fake = FakeGitHub()
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_WEB_URL = fake.url
    yield fake
    fake.close()


@pytest.fixture
def scan_dirs(settings, tmp_path):
    """Scratch and upload space of this test only; the scans must leave both empty."""
    settings.SCAN_SCRATCH_DIR = tmp_path / "scratch"
    settings.SCAN_UPLOAD_DIR = tmp_path / "uploads"
    settings.SCAN_WORKERS = 2
    return tmp_path


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def local_git_repo(tmp_path):
    """A real git repository with SAMPLE_FILES committed on `main` and one more file on `feature`."""
    repo = tmp_path / "origin"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    for name, text in SAMPLE_FILES.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "initial", cwd=repo)
    git("checkout", "-q", "-b", "feature", cwd=repo)
    (repo / "app" / "feature.py").write_text('SQL = "DELETE FROM sessions WHERE expires_at < now()"\n')
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "feature", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    return Path(repo)


@pytest.fixture(scope="session")
def corpora_scans(tmp_path_factory):
    """Every archive of shared/corpora unpacked and scanned from disk once per test session (per
    test process), shared by the tests that read the results."""
    if not ARCHIVES:
        pytest.fail("shared/corpora holds no archive: the corpora tests need the real repositories")
    into = tmp_path_factory.mktemp("corpora")
    return {name: scan_from_disk(name, into) for name in ARCHIVES}
