"""The extraction engine: files in, occurrences and rejected candidates out.

`extract_source` handles one file's text; `scan_tree` walks a directory and spreads the
files over every core in a process pool, a chunk at a time, so memory stays flat however
large the tree is (workers read their own files; the parent only sees results).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import NamedTuple

from repositories.extraction.continuations import Extensions, extended_reason
from repositories.extraction.embedded import psql_candidates, yaml_candidates, yaml_gate
from repositories.extraction.literals import COMPILED, LineTable, literal_candidates
from repositories.extraction.python_lang import doctest_candidates, python_candidates
from repositories.extraction.sql import (
    API_NAMES,
    QUERY_API_NAMES,
    SQL_KEYWORDS_BYTES,
    analyse,
    looks_like_sql,
)
from repositories.extraction.sqlfile import sql_file_candidates, sql_template_candidates
from repositories.extraction.types import Candidate, FileResult, Occurrence, Rejected

LANGUAGES = {
    ".sql": "sql",
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".go": "go",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".rb": "ruby",
    ".rake": "ruby",
    ".php": "php",
    ".cs": "csharp",
    ".ex": "elixir",
    ".exs": "elixir",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "c",
    ".cpp": "c",
    ".hpp": "c",
    # Page and template files of web frameworks that carry SQL.
    ".spt": "python",  # Aspen simplates: Python pages, then a template
    ".erb": "erb",
    ".rhtml": "erb",
    # Files that carry SQL for psql or for a program that reads them (see embedded.py).
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".mk": "makefile",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "markdown",
    ".yml": "yaml",
    ".yaml": "yaml",
}
# Files known by their whole name.
NAMED = {"makefile": "makefile", "gnumakefile": "makefile", "dockerfile": "shell"}
# Languages whose SQL is what psql is given (and YAML's SQL values): read only when psql is named,
# or for YAML, when a statement keyword appears.
EMBEDDED = ("shell", "markdown", "makefile", "yaml")
# SQL files run through a template engine before PostgreSQL sees them.
SQL_TEMPLATE_SUFFIXES = (".sql.tmpl", ".sql.tpl", ".sql.j2", ".sql.jinja", ".sql.jinja2", ".sql.erb", ".sql.mustache")
TEMPLATE_EXTENSIONS = {".jinja", ".jinja2", ".j2", ".tmpl", ".tpl", ".mustache", ".hbs"}
# Files that are never source code: not even sniffed.
NOT_SOURCE = {
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".webp", ".bmp", ".woff", ".woff2", ".ttf", ".eot", ".otf",
    ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".jar", ".class", ".so", ".dll", ".exe", ".pyc", ".map", ".lock",
    ".css", ".scss", ".sass", ".less", ".json", ".csv", ".tsv", ".mp3", ".mp4", ".wav", ".ogg", ".webm", ".mo",
    ".po", ".pot", ".crt", ".pem", ".key", ".der", ".p12", ".ipynb", ".snap",
}  # fmt: skip
SNIFF = "sniff"  # an unknown kind of file: its first bytes decide
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
MAX_FILE_BYTES = 2 * 1024 * 1024  # generated or minified code beyond this is not hand-written SQL
CONTEXT_LINES = 2
CONTEXT_LINE_CHARS = 200
MAX_TEXT_CHARS = 20_000


def language_for(path: str) -> str | None:
    """The language a file is read as; SNIFF for unknown text files; None for files never read."""
    lowered = path.lower()
    extension = os.path.splitext(lowered)[1]
    language = LANGUAGES.get(extension) or NAMED.get(os.path.basename(lowered))
    if language is not None:
        return language
    if lowered.endswith(SQL_TEMPLATE_SUFFIXES):
        return "sql-template"
    if extension in TEMPLATE_EXTENSIONS:
        return "template"
    if extension in NOT_SOURCE or lowered.endswith(".min.js"):
        return None
    return SNIFF


_SHEBANG = re.compile(rb"#![^\n]*\b(python[\d.]*|ruby|node|php|elixir|(?:ba|z|da|k)?sh)\b")
_SHEBANG_LANGUAGES = {b"ruby": "ruby", b"node": "javascript", b"php": "php", b"elixir": "elixir"}
_SQL_COMMENTS = re.compile(rb"(?:\s+|--[^\n]*|/\*[\s\S]*?\*/|#[^\n]*)*")


def sniff(data: bytes) -> str | None:
    """The language of a file whose name does not say: a shebang's interpreter, or SQL when its first
    statement (after comments) starts like one; None when it is neither."""
    shebang = _SHEBANG.match(data)
    if shebang is None and b"\n>>> " in data:
        return "doctest"  # a doctest text file: its examples are Python that runs
    if shebang:
        word = shebang.group(1)
        return "python" if word.startswith(b"python") else _SHEBANG_LANGUAGES.get(word, "shell")
    head = data[_SQL_COMMENTS.match(data, 0, 4096).end() :][:4096].decode("utf-8", errors="replace")
    first = head.split(None, 1)[0] if head.strip() else ""
    # SQL opens with SELECT or select; "Select rows from ..." opens a sentence.
    return "sql" if (first.isupper() or first.islower()) and looks_like_sql(head) else None


def template_language(data: bytes) -> str | None:
    """A `.j2`/`.tmpl` file is a SQL template when its first statement starts like SQL."""
    return "sql-template" if sniff(data) == "sql" else None


def context_around(lines: list[str], line: int) -> str:
    first = max(0, line - 1 - CONTEXT_LINES)
    chosen = lines[first : line + CONTEXT_LINES]
    if max(map(len, chosen), default=0) > CONTEXT_LINE_CHARS:  # rare: skip the per-line slicing
        chosen = [text[:CONTEXT_LINE_CHARS] for text in chosen]
    return "\n".join(chosen)


_KEYWORDS = (
    b"select",
    b"insert",
    b"update",
    b"delete",
    b"with",
    b"create",
    b"alter",
    b"drop",
    b"truncate",
    b"merge",
    b"copy",
)
_STATEMENT = rb"(?:" + b"|".join(_KEYWORDS) + rb")\b"
# The same keywords grouped by first letter, behind a class of those letters: at a quote that no
# keyword follows (most of them), one class test fails instead of eleven alternatives.
_INITIALS = sorted({keyword[:1] for keyword in _KEYWORDS})
_STATEMENT_BY_INITIAL = (
    rb"(?:"
    + b"|".join(
        re.escape(initial) + rb"(?:" + b"|".join(k[1:] for k in _KEYWORDS if k.startswith(initial)) + rb")"
        for initial in _INITIALS
    )
    + rb")\b"
)
# One pass of bytes.translate lower-cases a file and turns every quote character into `"`: the
# gate then needs one regex pass instead of one per quote character. A pattern that starts with
# one literal character is searched for at C speed, several times faster than a character class.
_FOLD = bytes.maketrans(
    bytes(range(ord("A"), ord("Z") + 1)) + b"'`",
    bytes(range(ord("a"), ord("z") + 1)) + b'""',
)
_LEAD = rb"(?:[\s(]|\\[nrt\n]|--[^\n\\]*(?:\\n|\n)|/\*[\s\S]*?\*/)*"  # blanks, (, escapes, SQL comments
# A keyword that closes its literal (`'Select'`, `"update" => ...`, `value=\"delete\"`) is a word of a UI
# or a map key, by the hundred in a translation file: no statement is one keyword. It may still open a
# statement that the next literal goes on with (`"SELECT" . " * FROM t"`).
_OPENING_STATEMENT = _STATEMENT_BY_INITIAL + rb'(?!\\?"(?!\s*[.+]))'
# A literal opening with a statement keyword. Every quote of a file is tried (most are not followed
# by a keyword, and closing quotes are tried too), so the common case is kept short: blanks and `(`
# in one possessive run, then the keyword; escapes and SQL comments only when one comes next.
_KEYWORD_GATE = re.compile(
    b'"[\\s(]*+(?=['
    + b"".join(_INITIALS)
    + rb"\\/-])(?:"
    + _OPENING_STATEMENT
    + b"|(?=\\\\[nrt\\n]|--|/\\*)"
    + _LEAD
    + b"+"
    + _OPENING_STATEMENT
    + b")"
)


# A literal right after `(` (and one blank or string prefix) is looked at only when the word before
# the `(` is a query API's name (a fixed-width lookbehind per length of name), so the calls of
# ordinary functions (`_("label")`, `setValue("x")`, by the ten thousand in a large tree) never cost
# a Python step. A blank, `>` or `!` before the `(` (`query (`, `query<Row>(`, `query!(`) leaves it to
# _QUERY_API_BEFORE. A separate pass from the keyword gate: it tries only the file's `(`, not every quote.
def _after_api_name(tail: bytes) -> bytes:
    """Lookbehinds, one per length of name, for a query API's name and then `tail`."""
    lengths = sorted({len(name) for name in API_NAMES})
    return b"|".join(
        rb"(?<=[^\w](?:"
        + b"|".join(re.escape(name).encode() for name in sorted(API_NAMES) if len(name) == length)
        + rb")"
        + tail
        + rb")"
        for length in lengths
    )


# Django's extra(where=["..."]) opens with the call's `(` too.
_PAREN_GATE = re.compile(
    rb'\((?:"(?:' + _after_api_name(rb'\("') + rb'|(?<=[ \t>!]\("))'
    rb'|[ rbuf@$]"(?:' + _after_api_name(rb'\(."') + rb'|(?<=[ \t>!]\(."))'
    rb'|\s*+where\s*=\s*\[[ rbuf@$]?")'
)
# A `sql` tag (sql`...`, `ql"` after folding) only tags a JavaScript template.
_TAGGED = ("javascript", "typescript")
_QUERY_API_BEFORE = re.compile(
    rb"(?:\b(?:" + QUERY_API_NAMES.encode() + rb")\s*\(\s*(?:where\s*=\s*\[\s*)?|\bsql)[rbuf@$]{0,2}\"\Z"
)
# Ruby's %q(...), %Q{...}, %[...] literals.
_PERCENT_GATE = re.compile(rb"%q?[({\[](?:[\s(])*" + _STATEMENT)
# A heredoc marker (<<~SQL, <<-SQL, <<<SQL) whose first body line starts with a statement keyword.
_HEREDOC_GATE = re.compile(rb"<<[~<-]?[ \t]*\"?\w+\"?[^\n]*\n\s*" + _STATEMENT)
# Elixir's sigils: ~s(...), ~S"...", ~Q[...].
_SIGIL_GATE = re.compile(rb"~[sq][(\[{\"|/](?:[\s(])*" + _STATEMENT)
# Python's `cursor.execute(where)`: the string may be a piece of a query assigned to the name above.
_EXECUTE_NAME_GATE = re.compile(rb"execute(?:many)?\(\s*[a-z_]\w*\s*[,)]")
# Only these languages have heredocs or %-literals: the other files are spared two more passes.
_EXTRA_GATES = {
    "doctest": (_EXECUTE_NAME_GATE,),
    "ruby": (_HEREDOC_GATE, _PERCENT_GATE),
    "erb": (_HEREDOC_GATE, _PERCENT_GATE),
    "php": (_HEREDOC_GATE,),
    "python": (_EXECUTE_NAME_GATE,),
    "elixir": (_SIGIL_GATE,),
}


_API_NAME = re.compile(QUERY_API_NAMES.encode())
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


def _api_call_before(folded: bytes, quote: int) -> bool | None:
    """Whether the quote at `quote` opens the first argument of a query API call, read backwards
    from it in a few steps (the regex search over the window costs a Python step per position):
    True or False when the name before `(` decides; None when only _QUERY_API_BEFORE can tell
    (a `[`, a `sql` tag, a generic type argument)."""
    position = quote
    for _ in range(2):  # string prefixes: r, b, f, u, @, $
        if position > 0 and folded[position - 1] in b"rbuf@$":
            position -= 1
    while position > 0 and folded[position - 1] in b" \t\r\n":
        position -= 1
    if position == 0 or folded[position - 1] != ord("("):
        return None
    end = position - 1
    while end > 0 and folded[end - 1] in b" \t":
        end -= 1
    first = end
    while first > 0 and folded[first - 1] in _WORD_BYTES:
        first -= 1
    if first == end or folded[end - 1 : end] == b">" or folded[end - 1 : end] == b"!":
        return None
    return _API_NAME.fullmatch(folded, first, end) is not None


def fold(data: bytes) -> bytes:
    """`data` lower-cased, with every quote character (' and `) turned into `"`; offsets unchanged."""
    return data.translate(_FOLD)


def _openings(folded: bytes, language: str) -> list[tuple[int, int]]:
    """(start, end) of each place a SQL-looking literal may open, in order: a keyword opening a literal
    (start: its quote; end: after the keyword), a heredoc or %-literal whose body opens with one, or a
    literal that only a query API can make SQL (start: its quote, end: start + 1), checked by the caller."""
    found = {match.start(): match.end() for match in _KEYWORD_GATE.finditer(folded)}
    for gate in _EXTRA_GATES.get(language, ()):
        for match in gate.finditer(folded):
            found.setdefault(match.start(), match.end())
    for match in _PAREN_GATE.finditer(folded):
        found.setdefault(match.end() - 1, match.end())
    if language in _TAGGED:
        position = folded.find(b'ql"')
        while position != -1:
            found.setdefault(position + 2, position + 3)
            position = folded.find(b'ql"', position + 3)
    return sorted(found.items())


class Gate(NamedTuple):
    """Where a file's SQL-looking literals may be (see gate_lines)."""

    opening: list[int]  # lines where a literal opens
    lines: list[int]  # those and the lines of the keywords after them
    # Byte offset where each opening line starts: the extractors' windows, without splitting the
    # whole file into lines when the text's offsets are its bytes' (ASCII, or decoded as Latin-1).
    starts: dict[int, int]


def gate_lines(folded: bytes, language: str = "") -> Gate:
    """Lines where a SQL-looking literal may start: its opening quote or heredoc marker.

    `folded` is fold() of the file. Returns (opening lines, opening and keyword lines, where the
    opening lines start). Files with none hold no SQL literal and are skipped without parsing; in
    the others these lines tell the extractors where to look.
    """
    openings = _openings(folded, language)
    if not openings:
        return Gate([], [], {})
    opening_lines, lines, starts = set(), set(), {}
    line, position = 1, 0
    api_before = _QUERY_API_BEFORE.search
    for start, end in openings:
        if end == start + 1:
            quick = _api_call_before(folded, start)
            if quick is False or (quick is None and api_before(folded, max(0, start - 48), start + 1) is None):
                continue  # a literal after `(` that is not given to a query API
        line += folded.count(b"\n", position, start)
        position = start
        if line not in starts:
            starts[line] = folded.rfind(b"\n", 0, position) + 1
        opening_lines.add(line)
        lines.add(line)
        lines.add(line + folded.count(b"\n", start, end))
    return Gate(sorted(opening_lines), sorted(lines), starts)


def candidates_for(
    source: str, language: str, gate: tuple[list[int], list[int]] | None = None, table: LineTable | None = None
) -> list[Candidate]:
    """`gate` is gate_lines() of the file: (opening lines, opening and keyword lines); None: look everywhere.
    `table`: the file's LineTable, shared with the caller."""
    if language == "sql":
        return sql_file_candidates(source)
    if language == "sql-template":
        return sql_template_candidates(source)
    if language == "python":
        found = python_candidates(source, gate[1] if gate else None)
        return found if found is not None else literal_candidates(source, "python")
    if language == "doctest":
        return doctest_candidates(source, gate[1] if gate else None)
    if language in EMBEDDED:
        return embedded_candidates(source, language, gate[0] if gate else None)
    if language == "erb":
        return literal_candidates(erb_code(source), "ruby", gate[0] if gate else None, table)
    if language in COMPILED:
        return literal_candidates(source, language, gate[0] if gate else None, table)
    return []


def embedded_candidates(source: str, language: str, yaml_lines: list[int] | None = None) -> list[Candidate]:
    found = psql_candidates(source, makefile=language == "makefile") if "psql" in source else []
    if language == "yaml":
        found.extend(yaml_candidates(source, yaml_lines))
        found.sort(key=lambda candidate: (candidate.line, candidate.column))
    return found


_ERB_CODE = re.compile(r"<%(?!%)[\s\S]*?%>")


def erb_code(source: str) -> str:
    """The Ruby of an ERB page: the text outside `<% %>` blanked (newlines kept, so lines stay)."""
    pieces, copied = [], 0
    for match in _ERB_CODE.finditer(source):
        pieces.append(re.sub(r"[^\n]", " ", source[copied : match.start()]))
        pieces.append("  " + match.group(0)[2:-2] + "  ")
        copied = match.end()
    pieces.append(re.sub(r"[^\n]", " ", source[copied:]))
    return "".join(pieces)


def _statement_position(candidate: Candidate, text: str, offset: int, language: str) -> tuple[int, int]:
    """Line and column of a statement that starts `offset` characters into its candidate's text, in a
    SQL file; a statement of a literal is placed at the literal."""
    if offset == 0 or language not in ("sql", "sql-template"):
        # In a literal, a newline of the value may be an escape (`\n`) on the same source line.
        return candidate.line, candidate.column
    newlines = text.count("\n", 0, offset)
    if newlines:
        return candidate.line + newlines, offset - text.rfind("\n", 0, offset)
    return candidate.line, candidate.column + offset


def extract_source(
    source: str,
    path: str,
    language: str,
    gate: tuple[list[int], list[int]] | None = None,
    line_starts: dict[int, int] | None = None,
) -> FileResult:
    """Every SQL statement of one file's text, and every SQL-looking string that is not SQL.

    `line_starts`: offsets in `source` where some lines start, known already (see Gate.starts)."""
    result = FileResult(path=path, language=language, size=len(source))
    table = LineTable(source, line_starts)
    candidates = candidates_for(source, language, gate, table)
    if not candidates:
        return result
    lines = table.lines
    extended = _Extensions(source, language, table)
    for candidate in candidates:
        # The whole text is analysed (never a cut of it: that would store a statement cut short);
        # what is too large for the parser is refused by its size, see sql.too_large_to_parse.
        text = candidate.text
        analysis = analyse(text, hint=candidate.hint)
        context = context_around(lines, candidate.line)
        reason = analysis.reason or extended.reason(candidate)
        if reason:
            shown = text[:MAX_TEXT_CHARS]
            result.rejected.append(Rejected(path, candidate.line, candidate.column, language, shown, reason, context))
            continue
        for stmt in analysis.statements:
            line, column = _statement_position(candidate, text, stmt.offset, language)
            result.occurrences.append(
                Occurrence(
                    file=path,
                    line=line,
                    column=column,
                    language=language,
                    context=context,
                    sql=stmt.sql,
                    normalized=stmt.normalized,
                    fingerprint=stmt.fingerprint,
                    statement_type=stmt.statement_type,
                    tables_read=stmt.tables_read,
                    tables_written=stmt.tables_written,
                    name=candidate.name,
                    interpolations=stmt.interpolations,
                )
            )
    return result


class _Extensions:
    """Whether the code goes on extending a candidate's string after writing it (see continuations.py)."""

    def __init__(self, source: str, language: str, table: LineTable):
        self.language = language
        self.check = Extensions(source, language)
        self.table = table

    def _offset(self, line: int, column: int) -> int:
        starts = self.table.starts  # only files with a kept candidate pay for the line table
        return starts[min(line, len(starts)) - 1] + column - 1

    def reason(self, candidate: Candidate) -> str:
        if self.language in ("sql", "sql-template", "doctest") or not candidate.end_line:
            return ""
        start = self._offset(candidate.line, candidate.column)
        end = self._offset(candidate.end_line, candidate.end_column)
        extended = self.check.extension_of(start, end)
        if extended is None:
            return ""
        return extended_reason(bisect_right(self.table.starts, extended), self.language)


def _read(absolute: str) -> bytes:
    """The file's first MAX_FILE_BYTES + 1 bytes; symbolic links are refused, never followed.

    os.read skips the buffered file object: measurably cheaper over tens of thousands of files.
    """
    descriptor = os.open(absolute, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        # Ask for the file's size, not the maximum: os.read allocates what it is asked for.
        size = os.fstat(descriptor).st_size
        return os.read(descriptor, min(size, MAX_FILE_BYTES) + 1)
    finally:
        os.close(descriptor)


def _language_of(language: str, data: bytes) -> str | None:
    if language == SNIFF:
        return sniff(data)
    if language == "template":
        return template_language(data)
    return language


def _any_keyword(folded: bytes) -> bool:
    return any(keyword in folded for keyword in SQL_KEYWORDS_BYTES)


def extract_file(absolute: str, relative: str) -> FileResult | None:
    """Read and extract one file; None when it is not source we read (binary, unknown).

    A file that cannot be read, is too large, or makes the analysis fail comes back with `error`
    set: a per-file problem, recorded, and the scan goes on.
    """
    language = language_for(relative)
    if language is None:
        return None
    try:
        data = _read(absolute)
    except OSError as exc:
        return FileResult(path=relative, language=language, size=0, error=f"unreadable: {exc.strerror}")
    if data.find(b"\0", 0, 8192) != -1:  # find: no 8 KB slice copy
        return FileResult(path=relative, language=language, size=len(data))
    if len(data) > MAX_FILE_BYTES:
        if language == SNIFF:
            return FileResult(path=relative, language="text", size=len(data))
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return FileResult(path=relative, language=language, size=len(data), error=f"skipped: larger than {limit} MiB")
    language = _language_of(language, data)
    if language is None:
        return FileResult(path=relative, language="text", size=len(data))
    # Most files hold no SQL literal at all: one pass over the bytes at C speed, then skip.
    folded = fold(data)
    gate = None
    if language in ("sql", "sql-template"):
        if not _any_keyword(folded):
            return FileResult(path=relative, language=language, size=len(data))
    elif language in EMBEDDED:
        lines = yaml_gate(folded) if language == "yaml" else []
        if not lines and b"psql" not in folded:
            return FileResult(path=relative, language=language, size=len(data))
        gate = (lines, lines)
    else:
        gate = gate_lines(folded, language)
        if not gate[0]:
            return FileResult(path=relative, language=language, size=len(data))
    one_byte_characters = data.isascii()
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        source = data.decode("latin-1")  # older trees: every byte is a character, offsets stay right
        one_byte_characters = True
    starts = gate.starts if isinstance(gate, Gate) and one_byte_characters else None
    result = extract_source(source, relative, language, gate, starts)
    result.size = len(data)
    return result


def _problem(relative: str, exc: BaseException) -> FileResult:
    detail = str(exc).splitlines()[0][:300] if str(exc) else ""
    reason = f"could not be analysed: {type(exc).__name__}" + (f": {detail}" if detail else "")
    return FileResult(path=relative, language=language_for(relative) or "", size=0, error=reason)


def extract_chunk(paths: list[tuple[str, str]]) -> ChunkResult:
    """One chunk's results; files with nothing to report are only counted (less to send back)."""
    chunk = ChunkResult()
    for absolute, relative in paths:
        try:
            result = extract_file(absolute, relative)
        except (Exception, RecursionError, MemoryError) as exc:  # one file's failure is that file's problem
            result = _problem(relative, exc)
        if result is None:
            continue
        chunk.files += 1
        chunk.bytes += result.size
        if result.occurrences or result.rejected or result.error:
            chunk.results.append(result)
    return chunk


def iter_source_files(root: str) -> Iterator[tuple[str, str]]:
    """(absolute, relative) of every source file under `root`; symbolic links are never followed."""
    prefix = os.path.join(root, "")
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False) and language_for(entry.path):
                yield entry.path, entry.path[len(prefix) :]


def count_source_files(root: str) -> int:
    return sum(1 for _ in iter_source_files(root))


@dataclass(slots=True)
class ChunkResult:
    files: int = 0
    bytes: int = 0
    results: list[FileResult] = field(default_factory=list)


@dataclass(slots=True)
class ScanTotals:
    files: int = 0
    bytes: int = 0
    occurrences: int = 0
    rejected: int = 0
    problems: int = 0


def _chunks(files: Iterator[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk = []
    for item in files:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_shared: dict[int, ProcessPoolExecutor] = {}


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """A pool kept for the life of this process, one per size: a scan worker starts its extraction
    processes once, not once per scan (starting them costs more CPU than scanning a small tree)."""
    pool = _shared.get(workers)
    if pool is None or getattr(pool, "_broken", False):
        pool = _shared[workers] = _pool(workers)
    return pool


def _warm_up() -> int:
    analyse("SELECT 1 FROM t WHERE id = $1")
    return os.getpid()


def warm_pool(workers: int) -> None:
    """Start the shared pool's processes now (a scan worker does this before its first scan)."""
    pool = shared_pool(workers)
    for future in [pool.submit(_warm_up) for _ in range(workers * 2)]:
        future.result()


def close_shared_pools() -> None:
    """Stop the shared pools' processes (at the end of a benchmark or a worker's life)."""
    while _shared:
        _, pool = _shared.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


def _discard_shared(pool: ProcessPoolExecutor) -> None:
    for size, shared in list(_shared.items()):
        if shared is pool:
            del _shared[size]
    pool.shutdown(wait=False, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers never inherit the parent's open database connections or threads.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["repositories.extraction.engine"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


CRASHED = "could not be analysed: the analysis of this file crashed its worker process"


def _extract_isolated(chunk: list[tuple[str, str]]) -> ChunkResult:
    """A chunk whose worker process died (a crash in native code, killed for memory): run it again
    in a pool of its own, halving it until the file that kills its process is alone; that file
    becomes a per-file problem and every other file is extracted."""
    try:
        with _pool(1) as pool:
            return pool.submit(extract_chunk, chunk).result()
    except BrokenProcessPool:
        if len(chunk) == 1:
            relative = chunk[0][1]
            result = ChunkResult(files=1)
            result.results.append(
                FileResult(path=relative, language=language_for(relative) or "", size=0, error=CRASHED)
            )
            return result
    middle = len(chunk) // 2
    first, second = _extract_isolated(chunk[:middle]), _extract_isolated(chunk[middle:])
    first.files += second.files
    first.bytes += second.bytes
    first.results.extend(second.results)
    return first


def scan_tree(
    root: str,
    *,
    on_results: Callable[[ChunkResult], None],
    workers: int | None = None,
    chunk_size: int = 500,
) -> ScanTotals:
    """Extract every source file under `root`, calling `on_results` with each finished chunk.

    `workers=0` runs in this process (small trees, debugging); otherwise a pool of
    `workers` processes (default: every core). At most two chunks per worker are in flight.
    A worker process that dies takes only the file that killed it: see _extract_isolated.
    """
    totals = ScanTotals()

    def consume(chunk: ChunkResult):
        totals.files += chunk.files
        totals.bytes += chunk.bytes
        for result in chunk.results:
            totals.occurrences += len(result.occurrences)
            totals.rejected += len(result.rejected)
            totals.problems += bool(result.error)
        on_results(chunk)

    chunks = _chunks(iter_source_files(root), chunk_size)
    if workers == 0:
        for chunk in chunks:
            consume(extract_chunk(chunk))
        return totals
    workers = workers or os.cpu_count() or 1
    pool = shared_pool(workers)
    broken: list[list[tuple[str, str]]] = []
    pending: dict = {}

    def collect(futures):
        nonlocal pool
        for future in futures:
            chunk = pending.pop(future)
            try:
                consume(future.result())
            except BrokenProcessPool:
                broken.append(chunk)
        if broken:  # every chunk in flight fails with the pool: start a new one for the rest
            for future in list(pending):
                broken.append(pending.pop(future))
            _discard_shared(pool)
            pool = shared_pool(workers)
            while broken:
                consume(_extract_isolated(broken.pop()))

    try:
        for chunk in chunks:
            try:
                pending[pool.submit(extract_chunk, chunk)] = chunk
            except BrokenProcessPool:
                broken.append(chunk)
                collect(list(pending))
                continue
            if len(pending) >= workers * 2:
                done, _ = wait(set(pending), return_when=FIRST_COMPLETED)
                collect(done)
        collect(list(pending))
    except BaseException:
        for future in pending:  # the scan stops (our side failed): its work left in the pool goes too
            future.cancel()
        raise
    return totals
