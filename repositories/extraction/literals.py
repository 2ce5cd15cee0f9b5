"""String literals of brace languages, Ruby and PHP, found with one regex per language.

A regex scanner is enough here: we only need literals and comments, and it runs at C speed,
which matters when a tree holds tens of thousands of files. Adjacent literals joined by the
language's concatenation operator become one candidate; a variable in between becomes a parameter.
"""

from __future__ import annotations

import re
from itertools import accumulate
from operator import add

from repositories.extraction.sql import (
    API,
    FRAGMENT,
    MOCK,
    given_to_query_api,
    interpolation,
    looks_like_sql,
    query_api_verdict,
)
from repositories.extraction.types import Candidate

_LINE_COMMENT = r"(?P<comment>//[^\n]*|/\*[\s\S]*?\*/)"
_HASH_COMMENT = r"(?P<comment>\#(?!\{)[^\n]*)"
_SLASH_AND_HASH_COMMENTS = r"(?P<comment>//[^\n]*|\#[^\n]*|/\*[\s\S]*?\*/)"
# A quoted literal with backslash escapes, as an unrolled loop with possessive repeats: a run of
# plain characters is one step of the regex engine, not one alternation per character (long SQL
# strings are what these files are read for). The alternatives exclude each other, so it matches
# what `"(?:[^"\\]|\\.)*"` matches.
_DQ = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_SQ = r"'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'"
_DQ_MULTILINE = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_SQ_MULTILINE = r"'[^'\\]*+(?:\\.[^'\\]*+)*+'"

# A JS template literal whose interpolations may hold objects and templates of their own
# (`${sql.join(items, sql`, `)}`, `${cond ? sql`AND x = ${y}` : sql``}`), two levels deep.
_INNER_TEMPLATE = r"`(?:[^`\\$]|\\.|\$(?!\{)|\$\{[^{}`]*\})*`"
_JS_INTERPOLATION = r"\$\{(?:[^{}`]|" + _INNER_TEMPLATE + r"|\{[^{}]*\})*\}"
_TEMPLATE = r"`(?:[^`\\$]|\\.|\$(?!\{)|" + _JS_INTERPOLATION + r")*`|`(?:[^`\\]|\\.)*`"

# Each pattern names the kind of literal, which says how to unescape and interpolate it.
PATTERNS = {
    "javascript": _LINE_COMMENT + rf"|(?P<template>{_TEMPLATE})|(?P<dq>{_DQ})|(?P<sq>{_SQ})",
    "go": _LINE_COMMENT + rf"|(?P<raw>`[^`]*`)|(?P<godq>{_DQ})|(?P<rune>{_SQ})",
    "java": _LINE_COMMENT + rf'|(?P<block>"""[\s\S]*?""")|(?P<jdq>{_DQ})|(?P<rune>{_SQ})',
    "kotlin": _LINE_COMMENT + rf'|(?P<kraw>"""[\s\S]*?""")|(?P<kdq>{_DQ})|(?P<rune>{_SQ})',
    "csharp": _LINE_COMMENT
    + r'|(?P<csraw>\$*"""[\s\S]*?""")'
    + r'|(?P<csverbinterp>(?:\$@|@\$)"(?:[^"]|"")*")'
    + r'|(?P<csverb>@"(?:[^"]|"")*")'
    + rf"|(?P<csinterp>\${_DQ})|(?P<dq>{_DQ})|(?P<rune>{_SQ})",
    "php": _SLASH_AND_HASH_COMMENTS
    + r"|(?P<heredoc><<<[ \t]*(?P<hq>['\"]?)(?P<htag>[A-Za-z_]\w*)(?P=hq)[^\n]*\n(?P<hbody>[\s\S]*?)\n[ \t]*(?P=htag)\b)"
    + rf"|(?P<phpdq>{_DQ_MULTILINE})|(?P<phpsq>{_SQ_MULTILINE})",
    "ruby": r"(?P<rheredoc><<[~-]?(?P<rq>['\"]?)(?P<rtag>[A-Z_][A-Z0-9_]*)(?P=rq)[^\n]*\n(?P<rbody>[\s\S]*?)^[ \t]*(?P=rtag)\b)"
    + "|"
    + _HASH_COMMENT
    + r"|(?P<rpct>%[qQ]?(?:\((?P<pp>[^()]*)\)|\{(?P<pb>[^{}]*)\}|\[(?P<pk>[^\[\]]*)\]))"
    + rf"|(?P<rdq>{_DQ_MULTILINE})|(?P<rsq>{_SQ_MULTILINE})",
    "elixir": _HASH_COMMENT
    + r'|(?P<exheredoc>"""[\s\S]*?""")'
    + r"|(?P<exsigil>~[sSqQ](?:\((?P<sp>[^()]*)\)|\[(?P<sk>[^\[\]]*)\]|\{(?P<sb>[^{}]*)\}|\"(?P<sd>(?:[^\"\\]|\\.)*)\"))"
    + rf"|(?P<rdq>{_DQ_MULTILINE})",
    "c": _LINE_COMMENT + rf"|(?P<dq>{_DQ})|(?P<rune>{_SQ})",
    "rust": _LINE_COMMENT
    + r'|(?P<rsraw>r(?P<hashes>#*)"[\s\S]*?"(?P=hashes))'
    + rf"|(?P<dq>{_DQ_MULTILINE})"
    + r"|(?P<rune>'(?:[^'\\\n]|\\.){1,8}')",
}
# Only for Python files that `ast` cannot parse (Python 2, templates).
PATTERNS["python"] = (
    r"(?P<comment>\#[^\n]*)"
    + r"""|(?P<pytriple>\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?''')"""
    + rf"|(?P<dq>{_DQ})|(?P<sq>{_SQ})"
)
PATTERNS["typescript"] = PATTERNS["javascript"]
COMPILED = {lang: re.compile(p, re.MULTILINE) for lang, p in PATTERNS.items()}
# The characters a token of each language can start with. Python's regex engine cannot skip ahead
# for an alternation of named groups, so a charset search (which it can skip with) finds the
# next possible token and the token pattern is only tried there.
_STARTS = {
    "javascript": r"[/\"'`]",
    "typescript": r"[/\"'`]",
    "go": r"[/\"'`]",
    "java": r"[/\"']",
    "kotlin": r"[/\"']",
    "csharp": r"[/\"'@$]",
    "php": r"[/#\"'<]",
    "ruby": r"[#\"'%<]",
    "python": r"[#\"']",
    "elixir": r"[#\"~]",
    "rust": r"[/\"'r]",
    "c": r"[/\"']",
}
STARTS = {lang: re.compile(p) for lang, p in _STARTS.items()}


def _next_token(pattern: re.Pattern, starts: re.Pattern, source: str, position: int, end: int) -> re.Match | None:
    """The first token that starts in [position, end) (it may run past `end`), or None.

    A charset search, which the regex engine can skip ahead with, finds where a token can start;
    the token pattern is only tried there.
    """
    search, match_at = starts.search, pattern.match
    while (start := search(source, position, end)) is not None:
        match = match_at(source, start.start())
        if match is not None and match.end() > match.start():
            return match
        position = start.start() + 1
    return None


_ESCAPES = re.compile(r"\\(.)", re.DOTALL)
_ESCAPE_MAP = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_JS_INTERP = re.compile(_JS_INTERPOLATION)
# Go's fmt verbs: pgx and database/sql take $1 or ?, so a %s in a query is fmt.Sprintf's.
_GO_VERB = re.compile(r"%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[sdvqx]")
# Java and Kotlin: JDBC takes ? and :name, so a %s in a query is String.format's.
_FORMAT_VERB = re.compile(r"(?<!%)%[sd](?![\w])")
_KOTLIN_INTERP = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_]\w*")
_RUBY_INTERP = re.compile(r"#\{[^}]*\}")
_PHP_INTERP = re.compile(r"\{\$[^}]*\}|\$\{[^}]*\}|\$[A-Za-z_]\w*(?:->\w+|\[[^\]\n]*\])*")
_CS_INTERP = re.compile(r"(?<!\{)\{[^{}\n]*\}(?!\})")

# What may stand between two literals for them to be one string.
_JOIN_PLAIN = {
    "c": re.compile(r"(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*"),  # C joins adjacent literals
    "php": re.compile(r"(?:\s|//[^\n]*|\#[^\n]*)*\.(?:\s|//[^\n]*|\#[^\n]*)*"),
    "ruby": re.compile(r"\s*(?:\+|\\\n)?\s*"),
}
_JOIN_DEFAULT = re.compile(r"(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*\+(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*")
_JOIN_VARIABLE = {
    "php": re.compile(r"\s*\.\s*[\w$>\-\[\]'()]+\s*\.\s*"),
}
_JOIN_VARIABLE_DEFAULT = re.compile(r"\s*\+\s*[\w.$\[\]()]+\s*\+\s*")
_TRAILING_VARIABLE = {"php": re.compile(r"\s*\.\s*\$\w+")}
_TRAILING_VARIABLE_DEFAULT = re.compile(r"\s*\+\s*[\w.]+(?:\(\))?\s*[;,)\n]")

# Java/Kotlin/PHP: queries in an ORM language, told apart by the code around them.
_JPQL_BEFORE = re.compile(r"(?:createQuery|createDQL|@NamedQuery\([^)]*query\s*=)\s*\(?\s*$")
_QUERY_ANNOTATION = re.compile(r"@Query\s*\(\s*(?:value\s*=\s*)?$")
_NATIVE = re.compile(r"nativeQuery\s*=\s*true")
# sqlmock/pgxmock expectations: the string is a regular expression matched against queries.
_MOCK_BEFORE = re.compile(r"\bExpect(?:Query|Exec|Prepare)\s*\(\s*$")
_NATIVE_BEFORE = re.compile(r"(?:createNativeQuery|createSQLQuery|createNativeMutationQuery)\s*\(\s*$")


# A line that is a comment, or inside a block comment's conventional ` * ` margin.
_COMMENT_LINE_DEFAULT = re.compile(r"[ \t]*(?://|/\*|\*(?!/)|\*$)")
_COMMENT_LINE = {language: re.compile(r"[ \t]*(?://|/\*|\*(?!/)|#(?!\{)|\*$)") for language in ("php",)} | {
    language: re.compile(r"[ \t]*(?:#(?!\{)|=begin)") for language in ("ruby", "python", "elixir")
}
_VARIABLE_EDGES = re.compile(r"^[\s.+]+|[\s.+;,)]+$")


def _variable(joined: str) -> str:
    """The code concatenated between two literals, in braces (`" + table + "` gives `{table}`)."""
    return "{" + _VARIABLE_EDGES.sub("", joined) + "}"


def _mark(pattern: re.Pattern, body: str) -> str:
    """`body` with each interpolation the pattern finds kept as written, between interpolation marks."""
    return pattern.sub(lambda m: interpolation(m.group(0)), body)


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _ESCAPES.sub(lambda m: _ESCAPE_MAP.get(m.group(1), m.group(1)), body)


# PHP keeps the backslash of an escape it does not know ('pg\_%' stays as written).
_PHP_ESCAPES = re.compile(r"\\([nrtvef\\$\"])")
_PHP_SINGLE_ESCAPES = re.compile(r"\\([\\'])")
_PHP_ESCAPE_MAP = {"n": "\n", "r": "\r", "t": "\t", "v": "\v", "e": "\x1b", "f": "\f"}


def _php_unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _PHP_ESCAPES.sub(lambda m: _PHP_ESCAPE_MAP.get(m.group(1), m.group(1)), body)


def _dedent_block(body: str) -> str:
    lines = body.split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def literal_value(kind: str, match: re.Match) -> tuple[str, int] | None:
    """The string a literal denotes (interpolations as parameters) and its offset; None for comments."""
    text = match.group(0)
    if kind in ("comment", "rune"):
        return None
    if kind in ("dq", "sq"):
        return _unescape(text[1:-1]), 1
    if kind == "phpsq":
        return _PHP_SINGLE_ESCAPES.sub(r"\1", text[1:-1]), 1
    if kind == "template":
        return _unescape(_mark(_JS_INTERP, text[1:-1])), 1
    if kind == "pytriple":
        quote = text.index(text[-1])
        return text[quote + 3 : -3], quote + 3
    if kind == "raw":
        return _mark(_GO_VERB, text[1:-1]), 1
    if kind == "godq":
        return _mark(_GO_VERB, _unescape(text[1:-1])), 1
    if kind == "block":
        return _mark(_FORMAT_VERB, _dedent_block(_unescape(text[3:-3]))), 3
    if kind == "jdq":
        return _mark(_FORMAT_VERB, _unescape(text[1:-1])), 1
    if kind == "kraw":
        return _mark(_KOTLIN_INTERP, text[3:-3]), 3
    if kind == "kdq":
        return _mark(_KOTLIN_INTERP, _unescape(text[1:-1])), 1
    if kind == "csraw":
        quotes = text.index('"')
        body = text[quotes + 3 : -3]
        return (_mark(_CS_INTERP, body) if quotes else body), quotes + 3
    if kind == "csverb":
        return text[2:-1].replace('""', '"'), 2
    if kind == "csverbinterp":
        return _mark(_CS_INTERP, text[3:-1].replace('""', '"')), 3
    if kind == "csinterp":
        return _mark(_CS_INTERP, _unescape(text[2:-1])), 2
    if kind == "phpdq":
        return _mark(_PHP_INTERP, _php_unescape(text[1:-1])), 1
    if kind == "heredoc":
        body = match.group("hbody")
        if not match.group("hq") or match.group("hq") == '"':
            body = _mark(_PHP_INTERP, body)
        return body, match.start("hbody") - match.start()
    if kind == "rheredoc":
        body = match.group("rbody")
        if match.group("rq") != "'":
            body = _mark(_RUBY_INTERP, body)
        return body, match.start("rbody") - match.start()
    if kind == "rpct":
        body = match.group("pp") or match.group("pb") or match.group("pk") or ""
        return (_mark(_RUBY_INTERP, body) if not text.startswith("%q") else body), 3
    if kind == "rdq":
        return _mark(_RUBY_INTERP, _unescape(text[1:-1])), 1
    if kind == "exheredoc":
        return _mark(_RUBY_INTERP, text[3:-3]), 3
    if kind == "exsigil":
        body = next(match.group(g) for g in ("sp", "sk", "sb", "sd") if match.group(g) is not None)
        return (_mark(_RUBY_INTERP, body) if text[1] in "sq" else body), 3
    if kind == "rsraw":
        hashes = len(match.group("hashes"))
        return text[2 + hashes : -1 - hashes], 2 + hashes
    if kind == "rsq":
        return text[1:-1].replace("\\'", "'"), 1
    return None


# `sqlDropTable = "..."`, `const QUERY = ...`, `$sql = ...`: a name that says the string is SQL.
# `\b` first: a search tries every position of its window, and without it each one inside a word
# read the rest of the word and backed off through it (a name that holds the word matches as well
# from where it starts).
_SQL_NAME_BEFORE = re.compile(
    r"\b(?i:\w*(?:sql|query|stmt|statement)s?\w*)\s*(?::=|=|:)\s*(?:(?:fmt\.Sprintf|String\.format|sprintf)\(\s*)?$"
)


def _last_code_character(text: str) -> str:
    """The last character of `text` that is not blank ("" when there is none)."""
    return text.rstrip()[-1:]


_SQL_NAME_WORDS = ("sql", "query", "stmt", "statement")


def _reaches_query_api(source: str, start: int) -> bool:
    """Given straight to a query API, or kept under a name that says it is SQL."""
    if given_to_query_api(source, start):
        return True
    # `name = "..."`, `name: "..."`, `name := fmt.Sprintf("..."`: only then can a name say it is SQL
    # (the anchored search below tries every position of its window, so it runs only then).
    window = source[max(0, start - 80) : start]
    if _last_code_character(window) not in ("=", ":", "("):
        return False
    lowered = window.lower()
    if not any(word in lowered for word in _SQL_NAME_WORDS):
        return False
    return _SQL_NAME_BEFORE.search(source, max(0, start - 80), start) is not None


# The code before a literal that an ORM language, a SQL mock or a native query receives ends with
# one of these (a call's `(`, an annotation's `value =`, or the method name itself).
_HINT_ENDS = ("(", "=", "createQuery", "createDQL")


def _hint(language: str, source: str, start: int, end: int) -> str:
    before = source[max(0, start - 120) : start]
    if not before.rstrip().endswith(_HINT_ENDS):
        return ""
    # Each pattern is searched for only when its word is there: a search tries every position.
    if "Expect" in before and _MOCK_BEFORE.search(before):
        return MOCK
    if language not in ("java", "kotlin", "php"):
        return ""
    if ("create" in before or "@NamedQuery" in before) and _JPQL_BEFORE.search(before):
        return "jpql"
    if "@Query" in before and _QUERY_ANNOTATION.search(before):
        close = source.find(")", end)
        annotation = source[end : close if close != -1 else end + 200]
        # Spring Data @Query is JPQL unless it says nativeQuery = true.
        return API if _NATIVE.search(annotation) else "jpql"
    if "create" in before and _NATIVE_BEFORE.search(before):
        return API
    return ""


class _LineCounter:
    """Line and column of increasing offsets without rescanning the file each time."""

    def __init__(self, source: str):
        self.source = source
        self.offset = 0
        self.line = 1

    def at(self, offset: int) -> tuple[int, int]:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.source.count("\n", self.offset, offset)
        self.offset = offset
        return self.line, offset - self.source.rfind("\n", 0, offset)


class LineTable:
    """One file's lines and where each starts, split once and shared by the extractors, the context
    of each finding and the extension check (each used to split the file again).

    Cumulative line lengths come from split and accumulate, both C loops: walking the file line by
    line in Python cost more than tokenizing the windows themselves.
    """

    __slots__ = ("source", "_lines", "_starts", "_known")

    def __init__(self, source: str, known: dict[int, int] | None = None):
        self.source = source
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None
        self._known = known  # line -> offset where it starts, for some lines (the gate's)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.source.split("\n")
        return self._lines

    @property
    def starts(self) -> list[int]:
        """Offset where each line starts (index 0: line 1)."""
        if self._starts is None:
            # Line k + 2 starts one past the end of line k + 1: its cumulative length plus k + 1 newlines.
            ends = accumulate(map(len, self.lines))
            self._starts = [0, *map(add, ends, range(1, len(self.lines)))]
        return self._starts

    def offsets(self, lines: list[int]) -> list[int]:
        """Offsets where the given (sorted, 1-based) lines start; lines past the end are left out."""
        known = self._known
        if known is not None and all(wanted in known for wanted in lines):
            return [known[wanted] for wanted in lines]
        starts = self.starts
        return [starts[wanted - 1] for wanted in lines if wanted <= len(starts)]


def literal_candidates(
    source: str, language: str, opening_lines: list[int] | None = None, table: LineTable | None = None
) -> list[Candidate]:
    """SQL-looking literals (concatenations joined) of a file.

    With `opening_lines` (where the gate saw a literal open with a statement keyword) only those
    lines and the literals concatenated to them are tokenized; otherwise the whole file. `table`:
    the file's LineTable, when the caller has one.
    """
    pattern = COMPILED[language]
    join_plain = _JOIN_PLAIN.get(language, _JOIN_DEFAULT)
    join_variable = _JOIN_VARIABLE.get(language, _JOIN_VARIABLE_DEFAULT)
    trailing = _TRAILING_VARIABLE.get(language, _TRAILING_VARIABLE_DEFAULT)
    counter = _LineCounter(source)
    candidates: list[Candidate] = []
    group: list = []  # [value, start, end]
    windowed = opening_lines is not None
    windows = (table or LineTable(source)).offsets(opening_lines) if windowed else [0]

    def flush():
        if not group:
            return
        value, start, end = group
        tail = trailing.match(source, end)
        if tail:
            value += interpolation(_variable(tail.group(0)))
        if looks_like_sql(value):
            line, column = counter.at(start)
            hint = _hint(language, source, start, end) or (API if _reaches_query_api(source, start) else "")
            end_line, end_column = counter.at(end)
            candidates.append(Candidate(value, line, column, hint=hint, end_line=end_line, end_column=end_column))
        elif (verdict := query_api_verdict(value)) and given_to_query_api(source, start):
            # The verdict first: it reads only the value (a word, a label: None at once), while
            # the call's name is searched for in the code before it.
            # A piece of a query, or a statement we do not look for, given straight to a query API.
            line, column = counter.at(start)
            candidates.append(Candidate(value, line, column, hint=FRAGMENT if verdict == FRAGMENT else API))
        group.clear()

    def search_end(line_end: int) -> int:
        """How far the next token may start to matter: a literal joins the open group only right
        after a joiner (`+`, `.`, blanks); otherwise only tokens on the window's line matter.
        Searching no further keeps the cost of a file in proportion to its SQL, not its length."""
        if group:
            joiners = (join_plain.match(source, group[2]), join_variable.match(source, group[2]))
            return max((joined.end() for joined in joiners if joined), default=group[2]) + 1
        return line_end + 1 if windowed else len(source)

    comment_line = _COMMENT_LINE.get(language, _COMMENT_LINE_DEFAULT)
    covered = 0
    for window in windows:
        line_end = source.find("\n", window)
        line_end = len(source) if line_end == -1 else line_end
        if covered > line_end:
            continue  # this line was tokenized with the previous window
        if covered <= window and comment_line.match(source, window):
            continue  # SQL quoted in a comment or Javadoc is documentation, not a query the code runs
        # `covered` is always outside any token: resuming there keeps the tokenizer in step.
        position = max(window, covered)
        covered = len(source)
        while True:
            limit = search_end(line_end)
            match = _next_token(pattern, STARTS[language], source, position, limit)
            if match is None:
                if group:  # nothing joins the group: it is complete; go on along the line
                    flush()
                    position = max(position, limit)  # no token starts between
                    if not windowed or position <= line_end:
                        continue
                covered = max(position, line_end + 1) if windowed else len(source)
                break
            position = match.end()
            kind = match.lastgroup
            # Named sub-groups (heredoc tag etc.) make lastgroup unreliable: find the outer kind.
            if kind not in ("comment",) and match.group(kind) != match.group(0):
                kind = next(k for k, v in match.groupdict().items() if v is not None and v == match.group(0))
            literal = literal_value(kind, match)
            if literal is None:
                continue
            value, body_offset = literal
            start, end = match.start(), match.end()
            if kind in ("heredoc", "rheredoc"):
                # A heredoc's SQL starts on the line after its marker: point there.
                start += body_offset
            if group:
                between = source[group[2] : match.start()]
                if join_plain.fullmatch(between) and kind not in ("heredoc", "rheredoc"):
                    group[0] += value
                    group[2] = end
                    continue
                if join_variable.fullmatch(between):
                    group[0] += interpolation(_variable(between)) + value
                    group[2] = end
                    continue
                flush()
                if windowed and match.start() > line_end:
                    covered = match.start()
                    break
            group.extend([value, start, end])
        flush()
    return candidates
