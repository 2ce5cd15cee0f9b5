"""GitHub through PyGithub, at `settings.GITHUB_API_URL` (github.com, Enterprise, or a fake in tests).

GitHub's failures become our errors: a bad token is 401 with GitHub's own message, a rate
limit is 429 with the reset time, anything else from GitHub is 502.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from github import Auth, Github, GithubException
from github.GithubException import BadCredentialsException, RateLimitExceededException, UnknownObjectException

from dbooster.errors import DomainError, InvalidInput, NotFound, TooManyRequests, UpstreamError

CONNECT_GITHUB_HINT = (
    "Connect your GitHub account first: sign in with GitHub at /auth/github "
    "(or from the repositories page, /app/repositories/)."
)


class GitHubUnauthorized(DomainError):
    status_code = 401
    code = "github_unauthorized"


def client(token: str | None) -> Github:
    auth = Auth.Token(token) if token else None
    # retry=None: a rate limit is reported to the user at once instead of sleeping in a request.
    return Github(auth=auth, base_url=settings.GITHUB_API_URL.rstrip("/"), timeout=20, retry=None, per_page=100)


def _reset_time(headers: dict | None) -> str | None:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    reset = headers.get("x-ratelimit-reset")
    if reset and str(reset).isdigit():
        return datetime.fromtimestamp(int(reset), tz=UTC).isoformat()
    return None


def translate(exc: GithubException, *, what: str = "GitHub") -> DomainError:
    """Our error for a PyGithub exception, keeping what GitHub said."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message") or str(exc)
    details = {"github_status": exc.status, "github_message": message}
    if data.get("documentation_url"):
        details["documentation_url"] = data["documentation_url"]
    if isinstance(exc, BadCredentialsException) or exc.status == 401:
        return GitHubUnauthorized(
            f"GitHub refused the token ({message}). Reconnect GitHub at /auth/github.", extra={"github": details}
        )
    if isinstance(exc, RateLimitExceededException) or exc.status == 429:
        reset = _reset_time(exc.headers)
        when = f" It resets at {reset}." if reset else ""
        return TooManyRequests(
            f"GitHub's rate limit is exhausted ({message}).{when}", extra={"github": details, "reset_at": reset}
        )
    if isinstance(exc, UnknownObjectException) or exc.status == 404:
        return NotFound(f"{what} was not found on GitHub, or the token cannot see it.", extra={"github": details})
    return UpstreamError(f"GitHub answered {exc.status}: {message}", extra={"github": details})


def require_token(user) -> str:
    token = getattr(user, "github_token", None)
    if not token:
        raise InvalidInput(f"No GitHub account is connected. {CONNECT_GITHUB_HINT}", code="github_not_connected")
    return token


def list_repositories(*, token: str) -> list[dict]:
    """The token owner's repositories (every page), newest push first."""
    try:
        repos = [
            {
                "name": repo.name,
                "full_name": repo.full_name,
                "private": repo.private,
                "default_branch": repo.default_branch,
                "url": repo.html_url,
                "pushed_at": repo.pushed_at.isoformat() if repo.pushed_at else None,
            }
            for repo in client(token).get_user().get_repos(sort="pushed")
        ]
    except GithubException as exc:
        raise translate(exc) from None
    except OSError as exc:
        raise UpstreamError(f"GitHub could not be reached: {exc}") from None
    return repos


def repository_info(*, token: str | None, full_name: str) -> dict:
    """What GitHub says about one repository: its canonical name, default branch and visibility."""
    try:
        repo = client(token).get_repo(full_name)
        return {
            "full_name": repo.full_name,
            "default_branch": repo.default_branch,
            "private": repo.private,
            "url": repo.html_url,
        }
    except GithubException as exc:
        raise translate(exc, what=f"Repository {full_name}") from None
    except OSError as exc:
        raise UpstreamError(f"GitHub could not be reached: {exc}") from None


def tarball_url(*, token: str | None, full_name: str, branch: str) -> str:
    """The URL GitHub redirects a tarball download to (signed for private repositories)."""
    github = client(token)
    try:
        repo = github.get_repo(full_name)
    except GithubException as exc:
        raise translate(exc, what=f"Repository {full_name}") from None
    try:
        return repo.get_archive_link("tarball", ref=branch)
    except GithubException as exc:
        if exc.status == 404:
            raise InvalidInput(f"Branch {branch!r} does not exist in {full_name}.", code="branch_not_found") from None
        raise translate(exc, what=f"Repository {full_name}") from None


def github_full_name(url: str) -> str | None:
    """`owner/name` when `url` is a repository on the configured GitHub, else None."""
    parts = urlsplit(url)
    web = urlsplit(settings.GITHUB_WEB_URL)
    if parts.scheme not in ("https", web.scheme) or parts.netloc.lower() != web.netloc.lower():
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    name = segments[1].removesuffix(".git")
    return f"{segments[0]}/{name}" if name else None
