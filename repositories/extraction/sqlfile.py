"""`.sql` files: split into statements the way PostgreSQL reads them.

Semicolons inside literals, quoted identifiers, comments and dollar-quoted bodies (`$$ ... $$`,
`$fn$ ... $fn$`) do not end a statement. A `-- name: get-user` comment (yesql, HugSQL, sqlc)
names the statement after it. psql meta-commands (`\\connect`) are not SQL and are skipped.
"""

from __future__ import annotations

import re

from repositories.extraction.sql import API, interpolation, looks_like_sql
from repositories.extraction.types import Candidate

_PIECES = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*[\s\S]*?\*/)
    | (?P<string>'(?:[^'\\]|''|\\.)*')
    | (?P<ident>"(?:[^"]|"")*")
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$[\s\S]*?\$(?P=tag)\$)
    | (?P<meta>\\[^\n]*)
    | (?P<end>;)
    """,
    re.VERBOSE,
)
# Where a piece can start: the pieces are only tried there (see literals._tokens for why).
_STARTS = re.compile(r"[-/'\"$;\\]")


def _pieces(source: str):
    search, match_at = _STARTS.search, _PIECES.match
    position = 0
    while (start := search(source, position)) is not None:
        index = start.start()
        piece = match_at(source, index)
        if piece is None:
            position = index + 1
            continue
        position = piece.end()
        if piece.lastgroup == "meta":
            line_start = source.rfind("\n", 0, index) + 1
            if source[line_start:index].strip():
                position = index + 1  # a backslash inside a statement, not a psql meta-command
                continue
        yield piece


_NAME = re.compile(r"--\s*(?:name\s*:|:name\s)\s*([\w.\-]+)")


def sql_file_candidates(source: str) -> list[Candidate]:
    candidates = []
    start = 0  # where the current statement's text begins
    first_code = None  # offset of its first character that is not blank or comment
    name = ""
    pending_name = ""
    position = 0

    def note_code(upto: int):
        nonlocal first_code
        if first_code is None:
            gap = source[position:upto]
            stripped = len(gap) - len(gap.lstrip())
            if gap.strip():
                first_code = position + stripped

    def emit(end: int):
        nonlocal start, first_code, name
        if first_code is not None:
            text = source[first_code:end].strip()
            if text:
                line = source.count("\n", 0, first_code) + 1
                column = first_code - source.rfind("\n", 0, first_code)
                candidates.append(Candidate(text, line, column, hint=API, name=name))  # a SQL file is run as it is
        start, first_code, name = end + 1, None, ""

    for match in _pieces(source):
        kind = match.lastgroup if match.lastgroup != "tag" else "dollar"
        note_code(match.start())
        if kind == "comment":
            named = _NAME.match(match.group(0))
            if named:
                # Named-query files often leave out the semicolon: a new name starts a new statement.
                emit(match.start())
                pending_name = named.group(1)
            if first_code is None:
                name = pending_name or name
        elif kind == "meta":
            # A psql meta-command ends whatever came before it and is not itself SQL.
            emit(match.start())
        elif kind == "end":
            emit(match.start())
            pending_name = ""
        else:
            if first_code is None:
                first_code = match.start()
                name = pending_name
        position = match.end()
    note_code(len(source))
    emit(len(source))
    return candidates


# Template tags of the engines SQL files go through: Jinja/Django/Go/Handlebars/ERB.
_TEMPLATE_TAG = re.compile(r"\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}|<%[\s\S]*?%>")


def sql_template_candidates(source: str) -> list[Candidate]:
    """Statements of a SQL template (`.sql.j2`, `.sql.tmpl`, ...): each tag is an interpolation, so
    the statement is kept as written and parsed with stand-ins; text that is not SQL is left alone."""
    marked = _TEMPLATE_TAG.sub(lambda m: interpolation(m.group(0).replace(";", ",")), source)
    return [candidate for candidate in sql_file_candidates(marked) if looks_like_sql(candidate.text)]
