"""Hostile archives, built here, are refused with a clear message and write nothing outside the tree."""

import io
import os
import stat
import tarfile
import zipfile

import pytest

from repositories.archives import ArchiveRefused, Limits, check_tree, extract_archive

LIMITS = Limits(
    max_archive_bytes=10 * 1024 * 1024,
    max_files=50,
    max_file_bytes=200_000,
    max_total_bytes=2_000_000,
    max_ratio=100,
)


def tar_with(path, members):
    """members: (name, kind, payload): kind file/symlink/hardlink/fifo."""
    with tarfile.open(path, "w:gz") as archive:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else payload
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                continue
            info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = payload or ""
            archive.addfile(info)
    return str(path)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "scan" / "tree"
    root.mkdir(parents=True)
    return root


def unpack(path, tree, limits=LIMITS):
    return extract_archive(str(path), str(tree), limits)


def test_plain_tarball_unpacks(tmp_path, tree):
    path = tar_with(tmp_path / "ok.tar.gz", [("src/a.py", "file", "x = 1\n"), ("src/b.sql", "file", "SELECT 1;")])
    assert unpack(path, tree) == []
    assert (tree / "src" / "a.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    "name, message",
    [("../evil.py", "climbs out"), ("a/../../evil.py", "climbs out"), ("/etc/evil.py", "absolute path")],
)
def test_traversal_and_absolute_paths_are_refused(tmp_path, tree, name, message):
    path = tar_with(tmp_path / "bad.tar.gz", [(name, "file", "owned")])
    with pytest.raises(ArchiveRefused, match=message):
        unpack(path, tree)
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "scan" / "evil.py").exists()


def test_zip_traversal_is_refused(tmp_path, tree):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../evil.py", "owned")
    with pytest.raises(ArchiveRefused, match="climbs out"):
        unpack(path, tree)
    assert not (tmp_path / "evil.py").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../etc/passwd", "../.."])
def test_symlinks_pointing_outside_are_refused(tmp_path, tree, target):
    path = tar_with(tmp_path / "link.tar.gz", [("src/link", "symlink", target), ("src/link/x.py", "file", "x")])
    with pytest.raises(ArchiveRefused, match="symbolic link"):
        unpack(path, tree)
    assert not os.path.lexists(tree / "src" / "link")


def test_hard_link_outside_is_refused(tmp_path, tree):
    path = tar_with(tmp_path / "hard.tar.gz", [("copy", "hardlink", "../../etc/passwd")])
    with pytest.raises(ArchiveRefused, match="hard link"):
        unpack(path, tree)


def test_links_inside_the_tree_are_never_created(tmp_path, tree):
    path = tar_with(
        tmp_path / "inner.tar.gz",
        [("src/a.py", "file", "x"), ("src/alias.py", "symlink", "a.py"), ("src/hard.py", "hardlink", "src/a.py")],
    )
    skipped = unpack(path, tree)
    assert skipped == ["src/alias.py", "src/hard.py"]
    assert not os.path.lexists(tree / "src" / "alias.py")
    assert not os.path.lexists(tree / "src" / "hard.py")


def test_zip_symlink_outside_is_refused(tmp_path, tree):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveRefused, match="symbolic link"):
        unpack(path, tree)


def test_devices_and_fifos_are_skipped(tmp_path, tree):
    path = tar_with(tmp_path / "fifo.tar.gz", [("pipe", "fifo", None), ("a.py", "file", "x")])
    assert unpack(path, tree) == ["pipe"]
    assert not os.path.lexists(tree / "pipe")


def test_too_many_files(tmp_path, tree):
    path = tar_with(tmp_path / "many.tar.gz", [(f"f{i}.py", "file", "x") for i in range(51)])
    with pytest.raises(ArchiveRefused, match="more than 50 files"):
        unpack(path, tree)


def test_file_too_large(tmp_path, tree):
    path = tar_with(tmp_path / "big.tar.gz", [("big.py", "file", os.urandom(200_001))])
    with pytest.raises(ArchiveRefused, match="larger than the 200000 bytes"):
        unpack(path, tree)


def test_zip_whose_header_lies_about_size_stops_at_the_limit(tmp_path, tree):
    # A zip header can claim a small size; the copy counts what really comes out.
    path = tmp_path / "lie.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.py", b"a" * 300_000)
    limits = Limits(10**7, 50, 250_000, 10**7, 10_000)
    with pytest.raises(ArchiveRefused, match="larger than"):
        unpack(path, tree, limits)


def test_compression_bomb_by_ratio(tmp_path, tree):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(10):
            archive.writestr(f"zeros{i}.py", b"\0" * 190_000)
    assert os.path.getsize(path) < 20_000
    with pytest.raises(ArchiveRefused, match="compression bomb"):
        unpack(path, tree)


def test_total_uncompressed_limit(tmp_path, tree):
    limits = Limits(10**7, 1000, 10**6, 500_000, 10**6)
    path = tar_with(tmp_path / "total.tar.gz", [(f"f{i}.py", "file", os.urandom(100_000)) for i in range(6)])
    with pytest.raises(ArchiveRefused, match="unpacks to more than 500000 bytes"):
        unpack(path, tree, limits)


def test_archive_too_large(tmp_path, tree):
    limits = Limits(1000, 10, 10**6, 10**7, 100)
    path = tar_with(tmp_path / "large.tar.gz", [("a.bin.py", "file", os.urandom(5000))])
    with pytest.raises(ArchiveRefused, match="the limit is 1000"):
        unpack(path, tree, limits)


def test_not_an_archive(tmp_path, tree):
    path = tmp_path / "fake.tar.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(ArchiveRefused, match="not a readable"):
        unpack(path, tree)


def test_duplicate_member_is_refused(tmp_path, tree):
    path = tar_with(tmp_path / "dup.tar.gz", [("a.py", "file", "x"), ("a.py", "file", "y")])
    with pytest.raises(ArchiveRefused, match="same path twice"):
        unpack(path, tree)


def test_cloned_tree_limits(tmp_path):
    root = tmp_path / "clone"
    root.mkdir()
    (root / "a.py").write_bytes(b"x" * 300_000)
    with pytest.raises(ArchiveRefused, match="larger than"):
        check_tree(str(root), LIMITS)
