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
    "go": r"func\b(?<=^func)",
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
# The same operators as plain text: a function without any, where the name is not written three times
# (its assignment, then `name = name + ...`), extends nothing, and the searches below are skipped.
_OPERATORS = {"php": (".=",), "ruby": ("+=", "<<"), "erb": ("+=", "<<"), "elixir": ("<>",)}


def _name_before(source: str, offset: int) -> str | None:
    """The variable the literal at `offset` is assigned to, or None (an argument, a return ...)."""
    line_start = source.rfind("\n", 0, offset) + 1
    if not source[line_start:offset].strip():  # a heredoc body: its marker ends the line before
        line_start = source.rfind("\n", 0, max(0, line_start - 1)) + 1
    match = _ASSIGNED.search(source, line_start, offset)
    return match.group("name") if match else None


# What may follow the name, per language: an in-place extension, the `=` of `name = name + ...`,
# and after that second name, the concatenation. Compiled once: a pattern made per variable name
# costs more to compile than the whole check.
_EXTEND_AFTER = {
    language: re.compile(r"\s*(?:" + operator + ")") for language, operator in {**_EXTEND, "": r"\+="}.items()
}
_JOIN_AFTER = {"php": re.compile(r"\s*\."), "elixir": re.compile(r"\s*(?:\+|<>)"), "": re.compile(r"\s*\+")}
_SELF_ASSIGN = re.compile(r"\s*=\s*")
_ASSIGN_AFTER = re.compile(r"\s*(?::=|(?<![=!<>.+\-*/%&|^])=(?!=))")


class _Name:
    """Where a variable is extended or assigned, found with str.find and checked with the patterns above."""

    def __init__(self, source: str, name: str, language: str):
        self.source, self.name = source, name
        self.extend_after = _EXTEND_AFTER.get(language, _EXTEND_AFTER[""])
        self.join_after = _JOIN_AFTER.get(language, _JOIN_AFTER[""])
        # Characters that, right before the name, make it part of another (`$this->sql`, `row.sql`).
        self.joined_before = "$>" if name.startswith("$") else "$.>"

    def _places(self, start: int, end: int):
        """Offsets just after each standalone occurrence of the name in [start, end)."""
        source, name = self.source, self.name
        position = source.find(name, start, end)
        while position != -1:
            before = source[position - 1] if position else " "
            if not (before.isalnum() or before == "_" or before in self.joined_before):
                yield position + len(name)
            position = source.find(name, position + 1, end)

    def _self_concatenation(self, after: int) -> bool:
        equals = _SELF_ASSIGN.match(self.source, after)
        if equals is None or not self.source.startswith(self.name, equals.end()):
            return False
        return self.join_after.match(self.source, equals.end() + len(self.name)) is not None

    def extensions(self, start: int, end: int):
        """Offsets of the name where the code extends it in [start, end), comments left out."""
        source = self.source
        for after in self._places(start, end):
            if self.extend_after.match(source, after) or self._self_concatenation(after):
                at = after - len(self.name)
                line_start = source.rfind("\n", 0, at) + 1
                if not _COMMENTED.search(source, line_start, at):
                    yield at

    def assignments(self, start: int, end: int):
        """(offset of the name, end of its `=`) of each plain assignment in [start, end)."""
        for after in self._places(start, end):
            assigned = _ASSIGN_AFTER.match(self.source, after)
            if assigned is not None and not self._self_concatenation(after):
                yield after - len(self.name), assigned.end()


# Code commented out before an extension on its line: `//    sql += " CONCURRENTLY";`.
_COMMENTED = re.compile(r"//|/\*|^[ \t]*(?:\*|#(?!\{)|--)")


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
        scope_start, scope_end = self.scope(offset, end)
        operators = _OPERATORS.get(self.language, ("+=",))
        if source.count(name, scope_start, scope_end) < 3 and all(
            source.find(operator, scope_start, scope_end) == -1 for operator in operators
        ):
            return None
        variable = _Name(source, name, self.language)
        # Later: up to the next assignment of the name (a new string) or the end of the function.
        following = next(variable.assignments(end, scope_end), None)
        limit = following[0] if following else scope_end
        found = next(variable.extensions(end, limit), None)
        if found is None:
            # Earlier: extensions after the last assignment before this one (a loop builds it in turn).
            previous = [assigned for _, assigned in variable.assignments(scope_start, offset)]
            # The last one is this literal's own assignment: the one before it bounds the search.
            bound = previous[-2] if len(previous) > 1 else scope_start
            found = next(variable.extensions(bound, previous[-1] if previous else offset), None)
        return found


def extended_reason(name_line: int, language: str) -> str:
    operator = {"php": ".=", "ruby": "<<", "erb": "<<", "elixir": "<>"}.get(language, "+=")
    return (
        f"composed at run time: the code extends this string (`{operator}` or concatenation) on line {name_line}, "
        "so the statement it runs is written in no single place"
    )
