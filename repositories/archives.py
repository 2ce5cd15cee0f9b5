"""Unpacking untrusted code archives into a scratch directory, and nowhere else.

Every member is checked before anything is written: no absolute paths, no `..`, no device
files; symbolic and hard links are never created (so never followed), and a link that points
outside the tree refuses the archive. Sizes are counted while copying, not trusted from headers,
so a compression bomb stops at the limit.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

COPY_CHUNK = 1024 * 1024


class ArchiveRefused(Exception):
    """The archive is hostile or over a limit; the message says which and why."""


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int
    max_files: int
    max_file_bytes: int
    max_total_bytes: int
    max_ratio: int


def safe_relative(name: str) -> str:
    """The member's path, if it stays inside the tree; ArchiveRefused otherwise."""
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise ArchiveRefused(f"The archive holds an absolute path ({name!r}); refused.")
    parts = [p for p in PurePosixPath(cleaned).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ArchiveRefused(f"The archive holds a path that climbs out of it ({name!r}); refused.")
    return "/".join(parts)


def _link_escapes(member_path: str, target: str) -> bool:
    if target.startswith("/") or "\\" in target:
        return True
    depth = len(PurePosixPath(member_path).parent.parts)
    for part in PurePosixPath(target).parts:
        depth = depth - 1 if part == ".." else depth + (part not in ("", "."))
        if depth < 0:
            return True
    return False


class _Budget:
    def __init__(self, limits: Limits, archive_bytes: int):
        self.limits = limits
        self.archive_bytes = max(archive_bytes, 1)
        self.files = 0
        self.total = 0

    def add_file(self, name: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise ArchiveRefused(f"The archive holds more than {self.limits.max_files} files; refused.")

    def add_bytes(self, name: str, written: int, count: int) -> None:
        self.total += count
        if written > self.limits.max_file_bytes:
            raise ArchiveRefused(
                f"{name!r} is larger than the {self.limits.max_file_bytes} bytes allowed for one file; refused."
            )
        if self.total > self.limits.max_total_bytes:
            raise ArchiveRefused(
                f"The archive unpacks to more than {self.limits.max_total_bytes} bytes; refused (compression bomb?)."
            )
        if self.total > 1024 * 1024 and self.total / self.archive_bytes > self.limits.max_ratio:
            raise ArchiveRefused(
                f"The archive expands more than {self.limits.max_ratio} times its size; refused as a compression bomb."
            )


def _target(root: str, relative: str) -> str:
    target = os.path.join(root, *relative.split("/"))
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(os.path.dirname(target))]) != real_root:
        raise ArchiveRefused(f"{relative!r} would be written outside the scan directory; refused.")
    return target


def _copy(source, root: str, relative: str, budget: _Budget) -> None:
    target = _target(root, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    written = 0
    # "xb": never overwrite, never write through something already there.
    with open(target, "xb") as out:
        while chunk := source.read(COPY_CHUNK):
            written += len(chunk)
            budget.add_bytes(relative, written, len(chunk))
            out.write(chunk)


def check_archive_size(path: str, limits: Limits) -> int:
    size = os.path.getsize(path)
    if size > limits.max_archive_bytes:
        raise ArchiveRefused(f"The archive is {size} bytes; the limit is {limits.max_archive_bytes}.")
    return size


def extract_tar(path: str, root: str, limits: Limits) -> list[str]:
    """Unpack a (gzipped) tarball; returns the links that were skipped."""
    budget = _Budget(limits, check_archive_size(path, limits))
    skipped = []
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"This is not a readable .tar.gz archive ({exc}).") from None
    with archive:
        try:
            for member in archive:
                relative = safe_relative(member.name)
                if member.issym() or member.islnk():
                    # Hard link names are relative to the archive root, symbolic ones to their directory.
                    base = relative if member.issym() else "link"
                    if _link_escapes(base, member.linkname):
                        kind = "hard link" if member.islnk() else "symbolic link"
                        raise ArchiveRefused(
                            f"The archive holds a {kind} ({member.name!r} -> {member.linkname!r}) that points "
                            "outside it; refused."
                        )
                    skipped.append(relative)
                    continue
                if member.isdir() or not relative:
                    continue
                if not member.isfile():
                    skipped.append(relative)  # devices, fifos: never created
                    continue
                budget.add_file(relative)
                if member.size > limits.max_file_bytes:
                    raise ArchiveRefused(
                        f"{relative!r} is larger than the {limits.max_file_bytes} bytes allowed for one file; refused."
                    )
                source = archive.extractfile(member)
                if source is not None:
                    _copy(source, root, relative, budget)
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, FileExistsError):
                raise ArchiveRefused(f"The archive holds the same path twice ({exc.filename}); refused.") from None
            raise ArchiveRefused(f"The archive is damaged ({exc}).") from None
    return skipped


def extract_zip(path: str, root: str, limits: Limits) -> list[str]:
    budget = _Budget(limits, check_archive_size(path, limits))
    skipped = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveRefused(f"This is not a readable .zip archive ({exc}).") from None
    with archive:
        try:
            for info in archive.infolist():
                relative = safe_relative(info.filename)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    target = archive.read(info)[:4096].decode(errors="replace")
                    if _link_escapes(relative, target):
                        raise ArchiveRefused(
                            f"The archive holds a symbolic link ({info.filename!r} -> {target!r}) that points "
                            "outside it; refused."
                        )
                    skipped.append(relative)
                    continue
                if info.is_dir() or not relative:
                    continue
                budget.add_file(relative)
                if info.file_size > limits.max_file_bytes:
                    raise ArchiveRefused(
                        f"{relative!r} is larger than the {limits.max_file_bytes} bytes allowed for one file; refused."
                    )
                with archive.open(info) as source:
                    _copy(source, root, relative, budget)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            if isinstance(exc, FileExistsError):
                raise ArchiveRefused(f"The archive holds the same path twice ({exc.filename}); refused.") from None
            raise ArchiveRefused(f"The archive is damaged or encrypted ({exc}).") from None
    return skipped


def extract_archive(path: str, root: str, limits: Limits, *, name: str = "") -> list[str]:
    lowered = (name or path).lower()
    if lowered.endswith(".zip"):
        return extract_zip(path, root, limits)
    if lowered.endswith((".tar.gz", ".tgz", ".tar")):
        return extract_tar(path, root, limits)
    raise ArchiveRefused("Upload a .zip or .tar.gz archive.")


def single_top_directory(root: str) -> str:
    """GitHub tarballs wrap everything in `owner-repo-sha/`: scan from inside it."""
    entries = [e for e in os.scandir(root)]
    if len(entries) == 1 and entries[0].is_dir(follow_symlinks=False):
        return entries[0].path
    return root


def check_tree(root: str, limits: Limits) -> None:
    """Limits for a cloned tree (git wrote it, not us): file count, file size, total size."""
    files = total = 0
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            full = os.path.join(directory, name)
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                continue
            files += 1
            total += info.st_size
            if files > limits.max_files:
                raise ArchiveRefused(f"The repository holds more than {limits.max_files} files; refused.")
            if info.st_size > limits.max_file_bytes:
                relative = os.path.relpath(full, root)
                raise ArchiveRefused(f"{relative!r} is larger than the {limits.max_file_bytes} bytes allowed; refused.")
            if total > limits.max_total_bytes:
                raise ArchiveRefused(f"The repository is larger than {limits.max_total_bytes} bytes; refused.")
