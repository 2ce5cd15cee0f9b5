"""The real repositories of shared/corpora: where they are, unpacked once, scanned once per test session."""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from repositories.extraction import scan_tree
from repositories.extraction.sql import API, analyse
from repositories.extraction.types import FileResult

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
if not CORPORA.exists():  # the work tree lives beside shared/ (CI clones it there too)
    CORPORA = Path("/work/shared/corpora")
ARCHIVES = sorted(path.name.removesuffix(".tar.gz") for path in CORPORA.glob("*.tar.gz"))
LABELS = Path(__file__).parent / "corpora_labels"


@dataclass
class CorpusScan:
    """One archive, unpacked and scanned from disk with the engine."""

    name: str
    root: Path
    files: int = 0
    results: list[FileResult] = field(default_factory=list)

    @property
    def occurrences(self):
        return [occurrence for result in self.results for occurrence in result.occurrences]

    @property
    def rejected(self):
        return [rejected for result in self.results for rejected in result.rejected]

    @property
    def problems(self):
        return [(result.path, result.error) for result in self.results if result.error]

    def source(self, path: str) -> str:
        data = (self.root / path).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def unpack(name: str, into: Path) -> Path:
    with tarfile.open(CORPORA / f"{name}.tar.gz") as archive:
        archive.extractall(into, filter="data")
    return into / name


def scan_from_disk(name: str, into: Path) -> CorpusScan:
    scan = CorpusScan(name=name, root=unpack(name, into))

    def keep(chunk):
        scan.files += chunk.files
        scan.results.extend(chunk.results)

    scan_tree(str(scan.root), on_results=keep, workers=0)
    return scan


_WORDS = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_ESCAPE = re.compile(r"\\[ntr]")


def cut_short(sql: str, fingerprint: str) -> bool:
    """Whether a stored statement is not the whole statement its fingerprint says: read alone, as
    written, it must analyse to the same fingerprint."""
    return fingerprint not in {statement.fingerprint for statement in analyse(sql, hint=API).statements}


def words_in_order(sql: str, source: str, line: int) -> bool:
    """Whether every word of the stored text appears, in order, in the source from its line on (the
    text as written, across the literal's quotes, escapes and concatenation)."""
    lines = source.split("\n")
    window = "\n".join(lines[max(0, line - 1) : line - 1 + sql.count("\n") + 200])
    found = iter(_WORDS.findall(_ESCAPE.sub(" ", window)))
    return all(word in found for word in _WORDS.findall(_ESCAPE.sub(" ", sql)))


def sql_file_slice(source: str, line: int, column: int, length: int) -> str:
    """The source text at (line, column), `length` characters long."""
    lines = source.split("\n")
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
    return source[offset : offset + length]
