"""Python string expressions that hold SQL, found through `ast`.

Implicit concatenation is merged by the parser; `"a" + x + "b"` and f-strings keep their
interpolations as parameters. Docstrings are prose and never looked at.
"""

from __future__ import annotations

import ast
import doctest
import re
from bisect import bisect_left, bisect_right

from repositories.extraction.sql import API, FRAGMENT, interpolation, looks_like_sql, query_api_verdict
from repositories.extraction.types import Candidate

_SIMPLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)
# Calls whose string arguments are SQL, whole or in pieces (DB-API, Django, SQLAlchemy, pandas).
QUERY_APIS = frozenset(
    ("execute", "executemany", "executescript", "raw", "text", "extra", "RawSQL", "read_sql", "read_sql_query", "SQL")
)


_FORMAT_FIELD = re.compile(r"(?<!\{)\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def _source_of(node) -> str:
    """The code of an interpolated expression, as an f-string field (`{table}`)."""
    inner = node.value if isinstance(node, ast.FormattedValue) else node
    try:
        return "{" + ast.unparse(inner) + "}"
    except (ValueError, RecursionError):
        return "{}"


def _string_of(node) -> str | None:
    """The text of a string expression, or None when `node` is not one."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            else:
                parts.append(interpolation(_source_of(value)))
        return "".join(parts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        text = _string_of(node.func.value)  # "... {} ...".format(x): the fields are interpolations
        return _FORMAT_FIELD.sub(lambda m: interpolation(m.group(0)), text) if text else text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_of(node.left), _string_of(node.right)
        if left is None and right is None:
            return None
        if left is None:
            left = interpolation(_source_of(node.left)) if isinstance(node.left, _SIMPLE) else None
        if right is None:
            right = interpolation(_source_of(node.right)) if isinstance(node.right, _SIMPLE) else None
        if left is None or right is None:
            return None
        return left + right
    return None


def _touches(node, hit_lines: list[int] | None) -> bool:
    """Whether `node` spans one of the lines where a SQL-looking literal starts (None: every line)."""
    if hit_lines is None:
        return True
    first = getattr(node, "lineno", None)
    if first is None:
        return True
    index = bisect_left(hit_lines, first)
    return index < len(hit_lines) and hit_lines[index] <= (getattr(node, "end_lineno", None) or first)


_CONTINUES = ("else", "elif", "except", "finally", "case")


def _top_level_starts(lines: list[str], indent: str = "", lo: int = 0, hi: int | None = None) -> list[int]:
    """0-based lines of [lo, hi) where a statement indented by exactly `indent` may start (not a
    continuation): top-level statements by default, a class's members with its body's indentation.

    A line inside a multi-line string can look like one; the caller then fails to parse the
    segment and falls back to the whole file, so a wrong guess costs time, never results.
    """
    starts = []
    decorated = False
    width = len(indent)
    for index in range(lo, len(lines) if hi is None else hi):
        line = lines[index]
        if not line.startswith(indent) or len(line) == width or line[width] in " \t#)]}'\"":
            continue
        word = line.split(None, 1)[0].rstrip(":")
        if word in _CONTINUES or decorated:
            decorated = line[width] == "@"
            continue
        decorated = line[width] == "@"
        starts.append(index)
    return starts


# A class longer than this is parsed member by member (under a stand-in `class _:` header): parsing
# a whole class for the one method that holds SQL cost most of a scan of Python code.
MEMBER_SPLIT_LINES = 60
CLASS_HEADER = "class _:\n"


def _members(lines: list[str], first: int, end: int) -> tuple[str, list[int]] | None:
    """The body indentation and member starts of the class statement at [first, end), or None."""
    header = first
    while header < end and lines[header].startswith("@"):
        header += 1
    if header >= end or not lines[header].startswith("class "):
        return None
    for line in lines[header + 1 : end]:
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            indent = line[: len(line) - len(stripped)]
            return (indent, _top_level_starts(lines, indent, header + 1, end)) if indent else None
    return None


def _segments(lines: list[str], hit_lines: list[int]) -> list[tuple[int, int, bool]]:
    """(first, end, member) 0-based line ranges of the top-level statements that hold the hit lines;
    in a long class, of its members (`member`: parse it under a class header)."""
    starts = _top_level_starts(lines)
    ranges: list[tuple[int, int, bool]] = []
    classes: dict[int, tuple[str, list[int]] | None] = {}
    for hit in hit_lines:
        position = bisect_right(starts, hit - 1) - 1
        first = starts[position] if position >= 0 else 0
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        member = False
        if end - first > MEMBER_SPLIT_LINES:
            if first not in classes:
                classes[first] = _members(lines, first, end)
            found = classes[first]
            inner = bisect_right(found[1], hit - 1) - 1 if found else -1
            if inner >= 0:
                members = found[1]
                first, member = members[inner], True
                end = members[inner + 1] if inner + 1 < len(members) else end
        if ranges and first <= ranges[-1][1] and member == ranges[-1][2]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end), member)
        else:
            ranges.append((first, end, member))
    return ranges


def _api_name(call: ast.Call) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name if name in QUERY_APIS else None


# Keyword arguments that hold SQL; extra()'s where/select hold lists and dicts of pieces.
_SQL_KEYWORDS = frozenset(("sql", "query", "statement", "operation", "text", "where", "select", "order_by", "tables"))


def _api_arguments(call: ast.Call) -> list:
    """The expressions a query API reads SQL from: its first argument and SQL keyword arguments,
    with the items of lists and dicts among them (Django's extra(where=[...], select={...})).
    The other arguments are parameters, data that may well look like SQL."""
    values = [*call.args[:1], *(keyword.value for keyword in call.keywords if keyword.arg in _SQL_KEYWORDS)]
    found = []
    for value in values:
        if isinstance(value, (ast.List, ast.Tuple)):
            found.extend(value.elts)
        elif isinstance(value, ast.Dict):
            found.extend(value.values)
        else:
            found.append(value)
    return found


def _walk_candidates(tree, hit_lines: list[int] | None, line_shift: int) -> list[Candidate]:
    candidates = []
    api_arguments: set[int] = set()  # ids of the string expressions given straight to a query API
    strings: dict[str, ast.AST] = {}  # name -> a value assigned to it (read as a string when passed)
    passed: list[str] = []  # names given to a query API
    plain: dict[int, Candidate] = {}  # SQL-looking strings not (yet) known to reach a query API
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            continue  # a docstring or a bare string statement: prose, not a query
        text = _string_of(node)
        if text is not None:
            if looks_like_sql(text):
                hint = API if id(node) in api_arguments else ""
                candidates.append(
                    Candidate(
                        text,
                        node.lineno + line_shift,
                        node.col_offset + 1,
                        hint=hint,
                        end_line=(node.end_lineno or node.lineno) + line_shift,
                        end_column=(node.end_col_offset or 0) + 1,
                    )
                )
                if not hint:
                    plain[id(node)] = candidates[-1]
            elif id(node) in api_arguments and query_api_verdict(text):
                candidates.append(_api_candidate(text, node, line_shift))
            continue
        if isinstance(node, ast.Call) and _api_name(node):
            for argument in _api_arguments(node):
                if isinstance(argument, ast.Name):
                    passed.append(argument.id)
                else:
                    api_arguments.add(id(argument))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            strings[node.targets[0].id] = node.value
        stack.extend(child for child in ast.iter_child_nodes(node) if _touches(child, hit_lines))
    if passed:
        candidates.extend(_passed_by_name(tree, passed, strings, line_shift))
        for name in passed:  # `q = "SELECT ..."` then `cur.execute(q)`: q reaches a query API
            value = strings.get(name)
            found = plain.get(id(value)) if value is not None else None
            if found is not None:
                found.hint = API
    return candidates


def _passed_by_name(tree, passed: list[str], strings: dict, line_shift: int) -> list[Candidate]:
    """Strings assigned to a name that is then given to a query API, and that the walk did not
    report already (those that start a statement were)."""
    if any(name not in strings for name in passed):
        # The walk only went down to the lines the gate pointed at; the assignment may be elsewhere.
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                strings.setdefault(node.targets[0].id, node.value)
    found = []
    for name in dict.fromkeys(passed):
        value = strings.get(name)
        text = _string_of(value) if value is not None else None
        if text is not None and not looks_like_sql(text) and query_api_verdict(text):
            found.append(_api_candidate(text, value, line_shift))
    return found


def _api_candidate(text: str, node, line_shift: int) -> Candidate:
    """A string given to a query API that does not look like a statement to the plain walk: a
    piece of a query (kept apart with the reason) or a statement it does not look for."""
    hint = FRAGMENT if query_api_verdict(text) == FRAGMENT else ""
    return Candidate(text, node.lineno + line_shift, node.col_offset + 1, hint=hint)


def _parse(source: str):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def python_candidates(source: str, hit_lines: list[int] | None = None) -> list[Candidate] | None:
    """Candidates of a Python file, or None when it does not parse (the caller falls back).

    With `hit_lines` (sorted lines where SQL-looking literals open) only the top-level statements
    holding them are parsed, and the walk skips every subtree away from them: parsing and walking
    a whole module costs far more than the few functions that hold SQL.
    """
    candidates: list[Candidate] | None = None
    if hit_lines:
        lines = source.split("\n")
        candidates = []
        for first, end, member in _segments(lines, hit_lines):
            text = "\n".join(lines[first:end])
            shift = first - 1 if member else first  # a member is parsed under one header line
            tree = _parse(CLASS_HEADER + text if member else text)
            if tree is None:
                candidates = None  # a guessed boundary was wrong: parse the whole file instead
                break
            local = [line - shift for line in hit_lines if first < line <= end]
            candidates.extend(_walk_candidates(tree, local, shift))
    if candidates is None:
        tree = _parse(source)
        if tree is None:
            return None
        candidates = _walk_candidates(tree, hit_lines, 0)
    candidates.sort(key=lambda c: (c.line, c.column))
    return candidates


def doctest_candidates(source: str, hit_lines: list[int] | None = None) -> list[Candidate]:
    """Strings given to a query API in the `>>>` examples of a doctest text file: the examples run,
    so their queries are real; other strings there are sample data and are left alone.

    `hit_lines` as for python_candidates: the examples keep their lines, so the gate's lines of the
    text file are the lines of the code to walk."""
    try:
        examples = doctest.DocTestParser().get_examples(source)
    except ValueError:
        return []
    lines = [""] * (source.count("\n") + 1)
    for example in examples:
        for offset, line in enumerate(example.source.rstrip("\n").split("\n")):
            if example.lineno + offset < len(lines):
                lines[example.lineno + offset] = line
    # None when the examples do not make one module (python_candidates parses it whole then).
    found = python_candidates("\n".join(lines), hit_lines)
    if found is None:  # examples that do not make one module: each alone
        found = []
        for example in examples:
            block = "\n" * example.lineno + example.source
            found.extend(python_candidates(block) or [])
    return [candidate for candidate in found if candidate.hint == API]
