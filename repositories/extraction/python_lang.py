"""Python string expressions that hold SQL, found through `ast`.

Implicit concatenation is merged by the parser; `"a" + x + "b"` and f-strings keep their
interpolations as parameters. Docstrings are prose and never looked at.
"""

from __future__ import annotations

import ast
from bisect import bisect_left

from repositories.extraction.sql import PARAM_SENTINEL, looks_like_sql
from repositories.extraction.types import Candidate

_SIMPLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)


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
                parts.append(PARAM_SENTINEL)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_of(node.left), _string_of(node.right)
        if left is None and right is None:
            return None
        if left is None:
            left = PARAM_SENTINEL if isinstance(node.left, _SIMPLE) else None
        if right is None:
            right = PARAM_SENTINEL if isinstance(node.right, _SIMPLE) else None
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


def python_candidates(source: str, hit_lines: list[int] | None = None) -> list[Candidate] | None:
    """Candidates of a Python file, or None when it does not parse (the caller falls back).

    `hit_lines` (sorted) lets the walk skip every subtree that cannot hold a SQL-looking literal:
    walking a whole module's AST in Python costs far more than parsing it.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    candidates = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            continue  # a docstring or a bare string statement: prose, not a query
        text = _string_of(node)
        if text is not None:
            if looks_like_sql(text):
                candidates.append(Candidate(text, node.lineno, node.col_offset + 1))
            continue
        stack.extend(child for child in ast.iter_child_nodes(node) if _touches(child, hit_lines))
    candidates.sort(key=lambda c: (c.line, c.column))
    return candidates
