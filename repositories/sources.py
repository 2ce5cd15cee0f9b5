"""Getting a scan's code into its scratch directory: GitHub tarball, shallow git clone, or upload."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
from urllib.parse import urlsplit

import requests
from django.conf import settings

from dbooster.errors import InvalidInput
from repositories import github
from repositories.archives import ArchiveRefused, Limits, check_tree, extract_archive, single_top_directory

_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/\-]{1,255}$")


def limits() -> Limits:
    return Limits(
        max_archive_bytes=settings.SCAN_MAX_ARCHIVE_BYTES,
        max_files=settings.SCAN_MAX_FILES,
        max_file_bytes=settings.SCAN_MAX_FILE_BYTES,
        max_total_bytes=settings.SCAN_MAX_TOTAL_BYTES,
        max_ratio=settings.SCAN_MAX_COMPRESSION_RATIO,
    )


def validate_branch(branch: str) -> str:
    branch = (branch or "").strip()
    if not _BRANCH.match(branch):
        raise InvalidInput(f"{branch!r} is not a valid branch name.", code="invalid_branch")
    return branch


def classify(repo_url: str) -> tuple[str, str]:
    """("github", "owner/name") or ("git", url); InvalidInput for anything we do not fetch."""
    url = (repo_url or "").strip()
    if not url:
        raise InvalidInput("repo_url is required.", code="invalid_url")
    full_name = github.github_full_name(url)
    if full_name:
        return "github", full_name
    local = url.startswith("file://") or url.startswith("/")
    if local:
        if settings.SCAN_ALLOW_LOCAL_REPOSITORIES:
            return "git", url
        raise InvalidInput(
            "Local paths and file:// URLs cannot be scanned; use an https:// git URL or upload an archive.",
            code="invalid_url",
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput(
            f"Only https:// git URLs can be scanned ({parts.scheme or url.split(':')[0]!r} is refused); "
            "or upload a .zip/.tar.gz archive.",
            code="invalid_url",
        )
    if parts.username or parts.password:
        raise InvalidInput("Put no credentials in the URL; connect GitHub instead.", code="invalid_url")
    return "git", url


def download_github(*, token: str | None, full_name: str, branch: str, scratch: str) -> str:
    url = github.tarball_url(token=token, full_name=full_name, branch=branch)
    archive = os.path.join(scratch, "source.tar.gz")
    cap = settings.SCAN_MAX_ARCHIVE_BYTES
    try:
        with requests.get(url, stream=True, timeout=60) as response:
            if response.status_code != 200:
                raise InvalidInput(
                    f"GitHub's tarball download answered {response.status_code}.", code="download_failed"
                )
            size = 0
            with open(archive, "wb") as out:
                for chunk in response.iter_content(1024 * 1024):
                    size += len(chunk)
                    if size > cap:
                        raise ArchiveRefused(f"The repository archive is larger than {cap} bytes; refused.")
                    out.write(chunk)
    except requests.RequestException as exc:
        raise InvalidInput(f"The tarball could not be downloaded: {exc.__class__.__name__}.", code="download_failed")
    tree = os.path.join(scratch, "tree")
    os.mkdir(tree)
    extract_archive(archive, tree, limits(), name="source.tar.gz")
    os.remove(archive)
    return single_top_directory(tree)


def _git_error(stderr: str, url: str, branch: str) -> InvalidInput:
    text = stderr.lower()
    if "remote branch" in text and "not found" in text:
        return InvalidInput(f"Branch {branch!r} does not exist in {url}.", code="branch_not_found")
    not_repository = ("not a git repository", "does not appear to be a git repository", "not found", "does not exist")
    if any(sign in text for sign in not_repository):
        return InvalidInput(f"{url} is not a git repository (or it is not public).", code="not_a_repository")
    if "authentication" in text or "could not read username" in text:
        return InvalidInput(
            f"{url} needs credentials; only public repositories can be cloned.", code="not_a_repository"
        )
    last = stderr.strip().splitlines()[-1] if stderr.strip() else "unknown error"
    return InvalidInput(f"git clone failed: {last[:300]}", code="clone_failed")


def refuse_internal_hosts(url: str) -> None:
    """A scan must not make us fetch from our own network (cloud metadata, internal services)."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise InvalidInput(f"The host {host!r} cannot be resolved.", code="not_a_repository") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise InvalidInput(f"{host} is on a private or local network; it cannot be scanned.", code="invalid_url")


def clone(*, url: str, branch: str, scratch: str) -> str:
    if not settings.SCAN_ALLOW_LOCAL_REPOSITORIES:
        refuse_internal_hosts(url)
    tree = os.path.join(scratch, "tree")
    protocols = "https:file" if settings.SCAN_ALLOW_LOCAL_REPOSITORIES else "https"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": scratch,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": protocols,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    command = [
        "git",
        "-c",
        "core.symlinks=false",  # links arrive as small text files: never followed
        "-c",
        "http.followRedirects=false",  # a redirect could point inside our network
        "-c",
        f"protocol.file.allow={'always' if settings.SCAN_ALLOW_LOCAL_REPOSITORIES else 'never'}",
        "clone",
        "--depth",
        "1",
        "--single-branch",
        "--no-tags",
        "--branch",
        branch,
        "--",
        url,
        tree,
    ]
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=settings.SCAN_GIT_TIMEOUT, cwd=scratch
        )
    except subprocess.TimeoutExpired:
        raise InvalidInput(f"git clone took longer than {settings.SCAN_GIT_TIMEOUT} s.", code="clone_failed") from None
    if result.returncode != 0:
        raise _git_error(result.stderr, url, branch)
    check_tree(tree, limits())
    return tree


def unpack_upload(*, path: str, name: str, scratch: str) -> str:
    tree = os.path.join(scratch, "tree")
    os.mkdir(tree)
    extract_archive(path, tree, limits(), name=name)
    return single_top_directory(tree)
