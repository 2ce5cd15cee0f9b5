"""What may be sent to a user's database: exactly one plain statement, parsed by pglast first.

`parse_sql(sql)` -> pglast statements: the ONE entry point for untrusted SQL. pglast turns the C parse
tree into Python objects recursively and a deep enough tree (26,000 `+` in a 52 KB query) overflows the
C stack and kills the process, so size, token count and expression depth are measured with the scanner
(iterative) first and anything past the limits is refused with a 413 naming the limit.
`parse_single_statement(sql)` -> (pglast node, kind), kind in KINDS.
`to_positional_params(sql)` -> (sql with $n placeholders, number of parameters), turning
the placeholder styles ORMs and drivers use (`%s`, `%(name)s`, `?`, `:name`) into PostgreSQL's.
"""

from __future__ import annotations

import re

import pglast
from pglast import ast, visitors
from pglast.parser import ParseError, scan

from dbooster.errors import InvalidInput, PayloadTooLarge

KINDS = ("select", "insert", "update", "delete", "merge", "utility")
DML_KINDS = ("insert", "update", "delete", "merge")
MAX_QUERY_CHARS = 100_000
# A 5,000-value IN list of placeholders is about 10,000 tokens; real queries stay far below these.
MAX_QUERY_TOKENS = 30_000
# Estimated depth of the parse tree (see _depth_estimate); pglast crashed near 24,000, real SQL stays under 100.
MAX_EXPRESSION_DEPTH = 1_000

_DML_NODES = {
    ast.InsertStmt: "insert",
    ast.UpdateStmt: "update",
    ast.DeleteStmt: "delete",
    ast.MergeStmt: "merge",
}


def _kind_of(stmt) -> str:
    for node_type, kind in _DML_NODES.items():
        if isinstance(stmt, node_type):
            return kind
    if isinstance(stmt, ast.SelectStmt):
        # WITH d AS (DELETE ... RETURNING *) SELECT ...: a data-changing statement in disguise.
        with_clause = getattr(stmt, "withClause", None)
        for cte in (with_clause.ctes if with_clause is not None else None) or ():
            inner = getattr(cte, "ctequery", None)
            if inner is not None and not isinstance(inner, ast.SelectStmt):
                return _kind_of(inner)
        return "select"
    return "utility"


# Tokens that open or close a nesting level of the parse tree, and those that start a new list element or
# conjunct at the current level (AND/OR chains are flattened by the parser, lists are flat).
_OPENERS = {"ASCII_40", "ASCII_91", "CASE"}
_CLOSERS = {"ASCII_41", "ASCII_93", "END_P"}
_SEPARATORS = {"ASCII_44", "ASCII_59", "AND", "OR", "WHEN", "THEN", "ELSE"}
_OPERATORS = {
    "Op", "ASCII_43", "ASCII_45", "ASCII_42", "ASCII_47", "ASCII_37", "ASCII_94", "ASCII_60", "ASCII_62",
    "ASCII_61", "LESS_EQUALS", "GREATER_EQUALS", "NOT_EQUALS", "TYPECAST", "NOT", "IS", "COLLATE", "AT",
    "LIKE", "ILIKE", "SIMILAR", "BETWEEN", "IN_P", "ASCII_46",
}  # fmt: skip


def _depth_estimate(tokens) -> int:
    """An upper estimate of the parse tree's depth, from the token stream alone.

    Every operator in a chain (`1+1+1`, `a||b||c`, `NOT NOT x`) is one more level, every bracket or CASE
    too; commas, AND/OR and CASE arms start a new element at their level. The estimate at a token is the
    sum over the open levels, so a chain inside a chain counts fully.
    """
    chains = [0]
    deepest = 0
    for token in tokens:
        name = token.name
        if name in _OPENERS:
            chains.append(0)
        elif name in _CLOSERS:
            if len(chains) > 1:
                chains.pop()
            chains[-1] += 1  # the bracketed expression is an operand of the enclosing chain
        elif name in _SEPARATORS:
            chains[-1] = 0
        elif name in _OPERATORS:
            chains[-1] += 1
        else:
            continue
        deepest = max(deepest, sum(chains) + len(chains))
    return deepest


def check_parse_limits(sql: str, *, what: str = "query") -> None:
    """PayloadTooLarge (413) when `sql` is past a limit the parser can take safely; cheap, never parses."""
    if len(sql) > MAX_QUERY_CHARS:
        raise PayloadTooLarge(
            f"The {what} is {len(sql):,} characters long; the limit is {MAX_QUERY_CHARS:,} (MAX_QUERY_CHARS).",
            code="query_too_long",
        )
    try:
        tokens = scan(sql)
    except ParseError as exc:
        raise InvalidInput(f"The {what} could not be parsed: {exc}.", code="parse_error") from None
    if len(tokens) > MAX_QUERY_TOKENS:
        raise PayloadTooLarge(
            f"The {what} has {len(tokens):,} tokens; the limit is {MAX_QUERY_TOKENS:,} (MAX_QUERY_TOKENS).",
            code="query_too_complex",
        )
    depth = _depth_estimate(tokens)
    if depth > MAX_EXPRESSION_DEPTH:
        raise PayloadTooLarge(
            f"The {what} nests expressions about {depth:,} levels deep (long operator chains or brackets); "
            f"the limit is {MAX_EXPRESSION_DEPTH:,} (MAX_EXPRESSION_DEPTH).",
            code="query_too_complex",
        )


def within_parse_limits(sql: str) -> bool:
    """True when `sql` may be parsed (texts read from a target, e.g. pg_stat_statements, are untrusted too)."""
    try:
        check_parse_limits(sql)
    except (InvalidInput, PayloadTooLarge):
        return False
    return True


def parse_sql(sql: str, *, what: str = "query"):
    """pglast's statements for untrusted `sql`, after the limits; InvalidInput when it does not parse."""
    check_parse_limits(sql, what=what)
    try:
        return pglast.parse_sql(sql)
    except ParseError as exc:
        raise InvalidInput(f"The {what} could not be parsed: {exc}.", code="parse_error") from None


def parse_single_statement(sql: str):
    """The one statement in `sql` and its kind; InvalidInput for zero, several or unparsable."""
    if not isinstance(sql, str) or not sql.strip():
        raise InvalidInput("The query is empty: send exactly one SQL statement.", code="empty_query")
    statements = parse_sql(sql)
    if len(statements) != 1:
        raise InvalidInput(
            f"Send exactly one statement; this text holds {len(statements)}.", code="not_single_statement"
        )
    stmt = statements[0].stmt
    kind = _kind_of(stmt)
    if kind == "select" and getattr(stmt, "intoClause", None) is not None:
        kind = "utility"  # SELECT ... INTO creates a table
    return stmt, kind


def refuse_utility(stmt, kind: str) -> None:
    """Utility and DDL statements are never explained or run: say so clearly."""
    if kind != "utility":
        return
    name = stmt.__class__.__name__
    if isinstance(stmt, ast.ExplainStmt):
        raise InvalidInput(
            "Send the query without EXPLAIN: DBooster adds EXPLAIN (and ANALYZE where allowed) itself.",
            code="utility_statement",
        )
    if isinstance(stmt, ast.SelectStmt):
        raise InvalidInput("SELECT ... INTO creates a table; it is not analyzed.", code="utility_statement")
    raise InvalidInput(
        f"Only SELECT, WITH, INSERT, UPDATE, DELETE and MERGE can be explained; this is a utility or DDL "
        f"statement ({name}).",
        code="utility_statement",
    )


# --- calls a rollback cannot undo ---------------------------------------------

# A READ ONLY transaction that is rolled back stops writes to tables, not these: they act on other sessions,
# the server's configuration, statistics, files, or another database. EXPLAIN ANALYZE would run them.
SIDE_EFFECT_FUNCTIONS = frozenset(
    {
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal",
        "pg_promote", "pg_create_restore_point", "pg_log_backend_memory_contexts", "pg_wal_replay_pause",
        "pg_wal_replay_resume", "pg_stat_statements_reset", "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot", "pg_drop_replication_slot", "pg_replication_origin_create",
        "pg_replication_origin_drop", "lo_export", "lo_import", "lo_unlink", "pg_file_write", "pg_file_rename",
        "pg_file_unlink", "pg_notify", "hypopg_reset",
    }
)  # fmt: skip
_SIDE_EFFECT_PREFIXES = ("dblink", "pg_stat_reset")


class _FunctionCalls(visitors.Visitor):
    def __init__(self):
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors, node):
        self.names.append(".".join(part.sval for part in node.funcname))


def side_effect_calls(stmt) -> list[str]:
    """The functions `stmt` calls whose effect a rolled-back read-only transaction would not undo."""
    calls = _FunctionCalls()
    calls(stmt)
    found = []
    for name in calls.names:
        bare = name.rsplit(".", 1)[-1].lower()
        if (bare in SIDE_EFFECT_FUNCTIONS or bare.startswith(_SIDE_EFFECT_PREFIXES)) and name not in found:
            found.append(name)
    return found


# --- placeholders ------------------------------------------------------------

# A `?` after one of these words is a parameter; after a value it is the jsonb operator.
_WORDS_BEFORE_VALUE = {
    "select", "where", "and", "or", "not", "in", "like", "ilike", "similar", "between", "limit", "offset",
    "values", "set", "then", "else", "when", "is", "by", "on", "having", "return", "returning", "case",
    "any", "all", "some", "distinct", "from", "to", "as", "with", "array", "fetch", "first", "next", "escape",
}  # fmt: skip
_IDENT_START = re.compile(r"[A-Za-z_\u0080-\uffff]")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")
_NAMED_PCT = re.compile(r"%\(([^)]+)\)s")


def _skip_quoted(sql: str, i: int, quote: str, backslash: bool) -> int:
    """Index just past the literal that starts at sql[i] == quote."""
    n = len(sql)
    i += 1
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _skip_block_comment(sql: str, i: int) -> int:
    depth, n = 0, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _segments(sql: str):
    """(is_code, text) pieces: literals, quoted identifiers and comments are never code."""
    i, start, n = 0, 0, len(sql)
    while i < n:
        c = sql[i]
        end = None
        if c == "'":
            backslash = i > 0 and sql[i - 1] in "eE" and (i < 2 or not _IDENT_CHAR.match(sql[i - 2]))
            end = _skip_quoted(sql, i, "'", backslash)
        elif c == '"':
            end = _skip_quoted(sql, i, '"', False)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            end = _skip_block_comment(sql, i)
        elif c == "$" and not (i > 0 and _IDENT_CHAR.match(sql[i - 1])):
            tag = _DOLLAR_TAG.match(sql, i)
            if tag:
                close = sql.find(tag.group(0), tag.end())
                end = n if close < 0 else close + len(tag.group(0))
        if end is None:
            i += 1
            continue
        if start < i:
            yield True, sql[start:i]
        yield False, sql[i:end]
        i = start = end
    if start < n:
        yield True, sql[start:n]


def _previous_token(out: list[str]) -> str:
    """The last significant token written so far (a word, or one character)."""
    text = "".join(out[-64:]).rstrip()
    if not text:
        return ""
    match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)$", text)
    return match.group(1).lower() if match else text[-1]


def to_positional_params(sql: str) -> tuple[str, int]:
    """`sql` with every placeholder written as $n, and the number of parameters.

    `$n` stays as is; `%(name)s` and `:name` reuse one number per name; `%%` becomes `%`
    when the text uses percent placeholders. Text inside literals, quoted identifiers and
    comments is left alone; `::type` casts, array slices and the jsonb `?` operator too.
    """
    existing = [int(m) for m in re.findall(r"(?<![A-Za-z0-9_$])\$(\d+)", _code_only(sql))]
    counter = max(existing, default=0)
    names: dict[str, int] = {}
    uses_percent = bool(re.search(r"%s|%\([^)]+\)s", _code_only(sql)))
    out: list[str] = []

    def next_number(name: str | None = None) -> str:
        nonlocal counter
        if name is not None and name in names:
            return f"${names[name]}"
        counter += 1
        if name is not None:
            names[name] = counter
        return f"${counter}"

    bracket_depth = 0
    for is_code, text in _segments(sql):
        if not is_code:
            # psycopg doubles every literal percent sign when it uses percent placeholders.
            out.append(text.replace("%%", "%") if uses_percent and text.startswith("'") else text)
            continue
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "[":
                bracket_depth += 1
            elif c == "]":
                bracket_depth = max(0, bracket_depth - 1)
            if c == "%" and uses_percent:
                if text.startswith("%%", i):
                    out.append("%")
                    i += 2
                    continue
                if text.startswith("%s", i) and not (i + 2 < n and _IDENT_CHAR.match(text[i + 2])):
                    out.append(next_number())
                    i += 2
                    continue
                named = _NAMED_PCT.match(text, i)
                if named:
                    out.append(next_number(named.group(1)))
                    i = named.end()
                    continue
            if c == "?" and not text.startswith(("?|", "?&"), i):
                before = _previous_token(out)
                if before in _WORDS_BEFORE_VALUE or before in ("", "(", ",", "=", "<", ">", "+", "-", "*", "/", "!"):
                    out.append(next_number())
                    i += 1
                    continue
            if c == ":" and bracket_depth == 0:
                prev_colon = (i > 0 and text[i - 1] == ":") or (i == 0 and out and out[-1].endswith(":"))
                if not prev_colon and i + 1 < n and text[i + 1] != ":" and _IDENT_START.match(text[i + 1]):
                    j = i + 1
                    while j < n and _IDENT_CHAR.match(text[j]):
                        j += 1
                    out.append(next_number(text[i + 1 : j]))
                    i = j
                    continue
            out.append(c)
            i += 1
    return "".join(out), counter


def _code_only(sql: str) -> str:
    return " ".join(text for is_code, text in _segments(sql) if is_code)


def fingerprint(sql: str) -> str:
    try:
        check_parse_limits(sql)
        return pglast.fingerprint(sql)
    except (ParseError, InvalidInput, PayloadTooLarge):
        return ""
