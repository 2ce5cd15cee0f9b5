"""Statements the program goes on composing after they are written.

`$sql = "UPDATE t SET a = 1"; ... $sql .= " WHERE id = 2";` runs a statement that is written in no
single place: the first literal alone is not what PostgreSQL receives. Such a literal is kept as a
rejected candidate with the place it is extended, never stored as a query (a stored query is always
the source slice the program runs).

The check reads the source text around the literal: the name it is assigned to, then an extension of
that name (`.=`, `+=`, `<<`, `name = name + ...`) later in the same function before the name is
assigned anew, or earlier in the same function with no assignment of the name in between (the
`if ($sql) $sql .= ...; else $sql = "UPDATE ...";` of a loop).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

# The name a literal is assigned to, read off the code before it (on its line, or the line before
# for a heredoc whose body starts on the next line): `$sql = `, `String sql = `, `sql := `, `q = (`.
_ASSIGNED = re.compile(
    r"(?:^|[\s;({,])(?P<name>\$?[A-Za-z_]\w*(?:->\w+)?)\s*(?:\[\])?\s*(?::=|(?<![=!<>.+\-*/%&|^])=)\s*"
    r"(?:\(\s*|(?:<<<|<<[~-]?)[ \t]*[\"']?\w+[\"']?[^\n]*\n\s*|@|\$)?$"
)
# Where a function starts, per language: a name assigned in one function is another in the next.
# Patterns that start with a literal word are searched for at C speed: the word comes first and the
# character before it is checked after it.
_SCOPE_START = {
    "php": r"function\b(?<![\w$]function)",
    "javascript": r"function\b(?<![\w$]function)|=>\s*\{|^[ \t]*(?:(?:public|private|protected|static|async|get|set)\s+)*[\w$]+\s*\([^)\n]*\)\s*(?::[^{\n]+)?\{",
    "go": r"^func\b",
    "java": r"^[ \t]*(?:(?:public|private|protected|static|final|synchronized|abstract)\s+)+[\w<>\[\], ?.]+\s+\w+\s*\(",
    "kotlin": r"fun\b(?<!\wfun)",
    "csharp": r"^[ \t]*(?:(?:public|private|protected|internal|static|async|override|virtual)\s+)+[\w<>\[\], ?.]+\s+\w+\s*\(",
    "python": r"def\s(?<![\w.]def\s)",
    "ruby": r"def\s(?<![\w.]def\s)",
    "erb": r"def\s(?<![\w.]def\s)",
    "elixir": r"defp?\s(?<![\w.]def\s)(?<![\w.]defp\s)",
    "rust": r"fn\b(?<!\wfn)",
    "c": r"^\w[^;\n]*\)\s*\{?\s*$",
}
_SCOPE_START["typescript"] = _SCOPE_START["javascript"]
_SCOPES = {language: re.compile(pattern, re.MULTILINE) for language, pattern in _SCOPE_START.items()}
# The operators that extend a string in place, per language (`name = name + ...` in every one).
_EXTEND = {"php": r"\.=", "ruby": r"\+=|<<", "erb": r"\+=|<<", "elixir": r"<>"}


def _name_before(source: str, offset: int) -> str | None:
    """The variable the literal at `offset` is assigned to, or None (an argument, a return ...)."""
    line_start = source.rfind("\n", 0, offset) + 1
    if not source[line_start:offset].strip():  # a heredoc body: its marker ends the line before
        line_start = source.rfind("\n", 0, max(0, line_start - 1)) + 1
    match = _ASSIGNED.search(source, line_start, offset)
    return match.group("name") if match else None


def _patterns(name: str, language: str) -> tuple[re.Pattern, re.Pattern]:
    """(an extension of `name`, a plain assignment of `name`).

    Each pattern starts with the name itself, and checks the character before it afterwards: a
    pattern with a literal start is searched for at C speed, one that starts with a look-behind
    is tried at every position of the function.
    """
    escaped = re.escape(name)
    edge = rf"(?<![\w$>]{escaped})" if name.startswith("$") else rf"(?<![\w$.>]{escaped})"
    operator = _EXTEND.get(language, r"\+=")
    join = r"\." if language == "php" else r"\+|<>" if language == "elixir" else r"\+"
    extend = re.compile(rf"{escaped}{edge}\s*(?:(?:{operator})|=\s*{escaped}\s*(?:{join}))")
    # `$sql = $sql . "..."` extends the string; any other assignment starts a new one.
    assign = re.compile(rf"{escaped}{edge}\s*(?::=|(?<![=!<>.+\-*/%&|^])=(?!=))(?!\s*{escaped}\s*(?:{join}))")
    return extend, assign


# Code commented out before an extension on its line: `//    sql += " CONCURRENTLY";`.
_COMMENTED = re.compile(r"//|/\*|^[ \t]*(?:\*|#(?!\{)|--)")


def _first_extension(extend: re.Pattern, source: str, start: int, end: int) -> re.Match | None:
    """The first extension in [start, end) that is code, not a comment."""
    for found in extend.finditer(source, start, end):
        line_start = source.rfind("\n", 0, found.start()) + 1
        if not _COMMENTED.search(source, line_start, found.start()):
            return found
    return None


class Extensions:
    """One file's check: where its functions start is found once, the first time it is needed."""

    def __init__(self, source: str, language: str):
        self.source = source
        self.scopes = _SCOPES.get(language)
        self.language = language
        self._starts: list[int] | None = None

    def scope(self, offset: int, end: int) -> tuple[int, int]:
        """Where the function around [offset, end) starts and ends (the file's bounds if unknown)."""
        if self._starts is None:
            self._starts = [match.start() for match in self.scopes.finditer(self.source)]
        starts = self._starts
        before = bisect_left(starts, offset)
        after = bisect_right(starts, end)
        return (starts[before - 1] if before else 0), (starts[after] if after < len(starts) else len(self.source))

    def extension_of(self, offset: int, end: int) -> int | None:
        """Where the program extends the string whose literal spans [offset, end) (an offset), or None.

        `offset` is where the literal starts, `end` where the code that wrote it ends (its last
        concatenated piece).
        """
        if self.scopes is None:
            return None
        source = self.source
        name = _name_before(source, offset)
        if name is None:
            return None
        extend, assign = _patterns(name, self.language)
        scope_start, scope_end = self.scope(offset, end)
        # Later: up to the next assignment of the name (a new string) or the end of the function.
        following = assign.search(source, end, scope_end)
        limit = following.start() if following else scope_end
        found = _first_extension(extend, source, end, limit)
        if found is None:
            # Earlier: extensions after the last assignment before this one (a loop builds it in turn).
            previous = [match.end() for match in assign.finditer(source, scope_start, offset)]
            # The last match is this literal's own assignment: the one before it bounds the search.
            bound = previous[-2] if len(previous) > 1 else scope_start
            found = _first_extension(extend, source, bound, previous[-1] if previous else offset)
        return found.start() if found is not None else None


def extended_reason(name_line: int, language: str) -> str:
    operator = {"php": ".=", "ruby": "<<", "erb": "<<", "elixir": "<>"}.get(language, "+=")
    return (
        f"composed at run time: the code extends this string (`{operator}` or concatenation) on line {name_line}, "
        "so the statement it runs is written in no single place"
    )
