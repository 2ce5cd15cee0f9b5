"""Deciding whether a string is PostgreSQL, and describing it: type, tables, normalized text, fingerprint.

Placeholders of every driver and interpolations of every language become `$n` parameters
first, so `WHERE id = ?` and `WHERE id = %(id)s` are the same query.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from re import _constants as _sre
from re import _parser

from pglast import parser

# Interpolations found by the language extractors (f-string fields, ${x}, #{x}, "a" + x + "b").
PARAM_SENTINEL = "\ue000"

# Quick test on lower-cased text: is there any SQL statement keyword at all?
SQL_KEYWORDS = ("select", "insert", "update", "delete", "with", "create", "alter", "drop", "truncate", "merge", "copy")
SQL_KEYWORDS_BYTES = tuple(k.encode() for k in SQL_KEYWORDS)

_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*\n?|/\*[\s\S]*?\*/|\()*")
_SQL_SHAPE = re.compile(
    r"""(?:
        select\b[\s\S]{0,3000}?\bfrom\b
      | select\s+(?:distinct\s+)?(?:\d|\*|count\s*\(|now\s*\(|exists\b|current_|nextval|\$|[a-z_][\w.]*\s*\(
          |'[^'\n]{0,200}'\s*(?:as\b|,|;|::|=|\)|$)|\{\{)
      | insert\s+into\b
      | update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s+set\b
      | delete\s+from\b
      | with\s+(?:recursive\s+)?[\w"]+(?:\s*\([^)]*\))?\s+as\s+(?:not\s+)?(?:materialized\s+)?\(
      | create\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:temp(?:orary)?\s+|unlogged\s+|constraint\s+)?
        (?:table|index|view|materialized\s+view|function|procedure|trigger|sequence|schema|type|extension|policy
          |role|domain|aggregate|rule|publication|subscription|statistics|collation|event\s+trigger|database
          |tablespace|cast|conversion|language|operator|text\s+search)\s
      | alter\s+(?:table|index|sequence|view|type|materialized\s+view|policy|role|function|schema|domain
          |extension|publication|subscription|database|system|trigger|user|group|sequence|tablespace|aggregate)\b
      | drop\s+(?:table|index|view|sequence|function|type|schema|materialized\s+view|trigger|policy|role
          |domain|extension|aggregate|rule|publication|subscription|procedure|statistics|owned|database|tablespace
          |text\s+search\s+(?:configuration|dictionary|parser|template)|cast|conversion|language|operator|user|group)\s
      | truncate\s+(?:table\s+)?[\w."]+
      | merge\s+into\b
      | copy\s+[\w."]+(?:\s*\([^)]*\))?\s+(?:from|to)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# An interpolation as written in the code (`${table}`, `#{id}`, `{name}`, a concatenated variable) is
# kept in the candidate's text between these two marks: the statement stored is the text as written,
# while parsing sees a parameter, an identifier or nothing in its place (see _complete_template).
INTERPOLATION_END = "\ue001"


def interpolation(expression: str = "") -> str:
    """`expression` (its source text, e.g. `${table}`) marked as an interpolation of a query text."""
    return PARAM_SENTINEL + expression.replace(PARAM_SENTINEL, "").replace(INTERPOLATION_END, "") + INTERPOLATION_END


_MARK = r"\ue000[^\ue001]*\ue001"
_TEMPLATE_BLOCK = re.compile(r"\ue000(?:\{[%#]|<%(?!=))")  # a block tag stands for a clause or nothing
_INTERPOLATION = re.compile(_MARK)

# Tokens of SQL text: literals and comments are copied as they are, placeholders become parameters.
# Every alternative starts with a fixed character (lookbehinds come after it), so the regex engine
# can skip ordinary text at C speed instead of trying each alternative at every position.
# The jsonb operators `?|` and `?&`, and `?` before a string literal, are operators, not placeholders.
_TOKENS = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*[\s\S]*?\*/)
    | (?P<string>'(?:[^'\\\ue000]|''|\\.|"""
    + _MARK
    + r""")*')
    | (?P<ident>"(?:[^"\ue000]|""|"""
    + _MARK
    + r""")*")
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$[\s\S]*?\$(?P=tag)\$)
    | (?P<cast>::)
    | (?P<positional>\$\d+)
    | (?P<jsonb>\?[|&]|\?(?=\s*'))
    | (?P<interp>\{\{\s*(?:[\w.-]+(?:::\w+)?|"""
    + _MARK
    + r""")\s*\}\}
      | """
    + _MARK
    + r""" | %[A-Za-z_]\w*% | \$\{[^}]*\} | \$[A-Za-z_]\w*(?![\w$]) | \{[\w.\[\]]*(?:![rsa])?(?::[^{}'\n]*)?\}(?!\}))
    | (?P<param>
          %\(\w+\)s | %%?[sdvq](?![\w]) | \? | :(?<![:\w]:)[A-Za-z_]\w* | @(?<![\w@]@)[A-Za-z_]\w*
        | \#\{[^}]*\} | \ue000
      )
    """,
    re.VERBOSE,
)
_POSITIONAL = re.compile(r"\$(\d+)")

# English words that never appear bare in real SQL but always in sentences that happen to parse.
_PROSE_WORDS = re.compile(r"\b(?:the|your|my|our|their|these|those|please|you|we|its|an|were|should|would)\b")
# Literals, quoted identifiers and comments: what a prose check must not look at.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*[\s\S]*?\*/|\$(\w*)\$[\s\S]*?\$\1\$")

# libpg_query writes RangeVar fields in struct order: catalogname, schemaname, relname, ...
_RANGEVAR_JSON = re.compile(
    r'\{(?:"catalogname":"(?:[^"\\]|\\.)*",)?(?:"schemaname":"((?:[^"\\]|\\.)*)",)?"relname":"((?:[^"\\]|\\.)*)"'
)
_CTE_JSON = re.compile(r'"ctename":"((?:[^"\\]|\\.)*)"')

STATEMENT_TYPES = {
    "SelectStmt": "SELECT",
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "CreateStmt": "CREATE TABLE",
    "IndexStmt": "CREATE INDEX",
    "ViewStmt": "CREATE VIEW",
    "CreateTableAsStmt": "CREATE TABLE AS",
    "AlterTableStmt": "ALTER TABLE",
    "DropStmt": "DROP",
    "TruncateStmt": "TRUNCATE",
    "CopyStmt": "COPY",
    "CreateFunctionStmt": "CREATE FUNCTION",
    "CreateTrigStmt": "CREATE TRIGGER",
    "CreateSeqStmt": "CREATE SEQUENCE",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "ExplainStmt": "EXPLAIN",
    "DoStmt": "DO",
    "CallStmt": "CALL",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "VacuumStmt": "VACUUM",
    "LockStmt": "LOCK",
    "GrantStmt": "GRANT",
    "CommentStmt": "COMMENT",
    "ClusterStmt": "CLUSTER",
    "ReindexStmt": "REINDEX",
}
# Statements of a .sql file that are session plumbing, not queries: not counted, not rejected.
PLUMBING = {"TransactionStmt", "VariableSetStmt", "VariableShowStmt", "DiscardStmt", "CheckPointStmt"}


@dataclass(slots=True)
class Statement:
    sql: str
    normalized: str
    fingerprint: str
    statement_type: str
    tables_read: tuple[str, ...]
    tables_written: tuple[str, ...]
    interpolations: int = 0  # > 0: a template, completed with stand-ins for its interpolated code
    offset: int = 0  # where the statement starts in the text analysed


@dataclass(slots=True)
class Analysis:
    statements: list[Statement]
    reason: str = ""  # set when the text is not usable SQL

    @property
    def ok(self) -> bool:
        return not self.reason


def has_sql_keyword(lowered: str) -> bool:
    return any(k in lowered for k in SQL_KEYWORDS)


def strip_leading_noise(text: str) -> str:
    return text[_LEADING_NOISE.match(text).end() :]


def looks_like_sql(text: str) -> bool:
    """Starts like a SQL statement: worth asking pglast about, and worth reporting if it fails."""
    if PARAM_SENTINEL in text:  # an interpolated name reads as a name (`UPDATE "{$table}" SET`)
        text = _INTERPOLATION.sub("x", text)
    return _SQL_SHAPE.match(strip_leading_noise(text)) is not None


# Statements _SQL_SHAPE leaves out because they are rare in code, but real when a query API runs them.
_OTHER_STATEMENT = re.compile(
    r"""(?:
        (?:vacuum|analy[sz]e|reindex|cluster)\b
      | refresh\s+materialized\s+view\b | lock\s+(?:table\s+)?[\w."]+ | call\s+[\w."]+\s*\(
      | explain\b | (?:grant|revoke)\s+\w+[\w\s,]*\s(?:on|to|from)\b | comment\s+on\b
      | (?:listen|notify|unlisten)\s+[\w"]+ | do\s+\$
      | set\s+(?:session\s+|local\s+)?[\w.]+\s*(?:to|=)\s | show\s+\w+ | (?:begin|commit|rollback)\s*;?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A piece of a statement: a clause, or a condition such as `status = %s` or `id IN (SELECT ...)`.
_FRAGMENT_SHAPE = re.compile(
    r"""(?:
        (?:where|and|or|not|from|having|limit|offset|returning|values|set|on|using|union|except|intersect)\s
      | (?:order|group|partition)\s+by\b
      | (?:(?:left|right|full|inner|cross|natural)\s+(?:outer\s+)?)?join\s
      | (?:distinct\s+)?[\w."]+(?:\s*,\s*[\w."]+)*\s*(?:=|<>|!=|<=|>=|<|>|@>|<@|~~?\*?|\|\|)\s*
        (?:\?|%s|%\(\w+\)s|:\w|\$\d|@\w|\ue000|'|\d|\(|now\b|current_|true\b|false\b|null\b|[\w."]+\s*$)
      | [\w."]+\s+(?:not\s+)?(?:in|like|ilike|between|is|similar\s+to)\s
        (?:\s*(?:\?|%s|%\(\w+\)s|:\w|\$\d|@\w|\ue000|'|\d|\(|null\b|not\s+null\b|true\b|false\b))
      | [\w."]+\s+(?:asc|desc)\b
      | (?:exists|coalesce|lower|upper|count|sum|date_trunc)\s*\(
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Something only SQL has, so that "where to go" or "order by phone" given to .text() is not a fragment.
_FRAGMENT_SIGN = re.compile(
    r"[=<>?(\ue000']|%s|%\(\w+\)s|:\w|\$\d|@\w|\b(?:in|is|like|ilike|asc|desc|null)\b|\w\.\w", re.IGNORECASE
)
API = "api"  # Candidate.hint of a string given straight to a query API (or a sql`` tag)
MOCK = "mock"  # Candidate.hint of a pattern given to a SQL mock's expectation (sqlmock, pgxmock)
FRAGMENT = "fragment"  # Candidate.hint of a string given to a query API that does not start a statement
# Calls of every language whose string argument is SQL, whole or in pieces, lower-cased, as a regex
# alternation: DB-API/Django/SQLAlchemy/pandas, node drivers and knex, JDBC/JPA/Spring, ActiveRecord,
# PDO, database/sql and gorm, ADO.NET and EF Core.
QUERY_API_NAMES = (
    r"execute(?:many|script|query|update|scalar|nonquery|reader|sqlraw(?:async)?|_query)?|raw|text|extra|rawsql"
    r"|read_sql(?:_query)?|query(?:row)?(?:context)?|query(?:forobject|forlist|formap|forrowset)|exec(?:context)?"
    r"|prepare(?:context)?|fragment|get(?:one|row|all|col|assoc)|select(?:set|field|limit)|pg_(?:exec|query(?:_params)?|send_query)|mysqli?_query|query_as|query_scalar|(?:paged)?rawquery|(?:query|execute)raw(?:unsafe)?|find_by_sql|select_(?:all|rows|value|values|one)|where(?:raw|not)?|(?:order_?by|having"
    r"|select|group_?by|join)raw|createnativequery|fromsql(?:raw|interpolated)?|sqlcommand|sqlquery(?:raw)?"
)
_QUERY_API_BEFORE = re.compile(
    r"(?:\b(?:"
    + QUERY_API_NAMES
    + r")!?(?:<[^()\n]{0,200}?>)?\s*\(\s*(?:(?:ctx|context\.\w+\(\)|\w*ctx|\$[\w\->]+)\s*,\s*)?(?:where\s*=\s*\[\s*)?|\b(?:sql|(?:query|execute)raw(?:unsafe)?)\s*)\Z",
    re.IGNORECASE,
)


_TAG_ENDS = ("sql", "raw", "unsafe")


def _spelled(pattern: str) -> frozenset[str]:
    """Every name the alternation `pattern` matches (literal characters, groups, alternatives and
    optional parts only, as QUERY_API_NAMES is written)."""

    def spell(items) -> list[str]:
        words = [""]
        for op, value in items:
            if op is _sre.LITERAL:
                options = [chr(value)]
            elif op is _sre.BRANCH:
                options = [word for branch in value[1] for word in spell(branch)]
            elif op is _sre.SUBPATTERN:
                options = spell(value[-1])
            elif op is _sre.MAX_REPEAT and value[:2] == (0, 1):
                options = ["", *spell(value[2])]
            else:
                raise ValueError(f"not a plain alternation of names: {op}")
            words = [word + option for word in words for option in options]
        return words

    return frozenset(spell(_parser.parse(pattern)))


# Every query API's name, and the last three characters of each (all are three characters or longer).
API_NAMES = _spelled(QUERY_API_NAMES)
API_NAME_ENDINGS = frozenset(name[-3:] for name in API_NAMES)


def _may_close_api_name(source: str, paren: int) -> bool:
    """Whether the `(` at `paren` may be a query API call's, read off the characters before it: False
    when the name before it ends unlike every API name. A generic (`query<T>(`), a macro (`query!(`)
    or a call between the `(` and the literal (`QueryContext(context.Background(), "...`) leave it to
    _QUERY_API_BEFORE."""
    if source.startswith(")", paren + 1):
        return True
    end = paren
    while end > 0 and source[end - 1].isspace():
        end -= 1
    if end > 0 and source[end - 1] in ">!":
        return True
    return source[max(0, end - 3) : end].lower() in API_NAME_ENDINGS


def given_to_query_api(source: str, start: int) -> bool:
    """Whether the literal starting at `start` (its prefix included) is the first argument of a query
    API call, an item of Django's extra(where=[...]), or a `sql`-tagged template."""
    low = max(0, start - 200)
    # What comes right before the literal decides most cases at once: an argument follows `(`, `,`
    # or `[`; a tag ends in sql/raw/unsafe. Anything else is not given to a query API, and the
    # search below (which tries every position of its window) is not run for it.
    before = start - 1
    while before >= low and source[before] in " \t\r\n":
        before -= 1
    if before < low:
        return False
    character = source[before]
    if character not in "([,":
        if not (character.isalpha() and source[max(0, before - 5) : before + 1].lower().endswith(_TAG_ENDS)):
            return False
    paren = source.rfind("(", low, start)
    if character in "([," and paren != -1 and not _may_close_api_name(source, paren):
        return False
    # The API's name sits right before its "(" (a generic type argument may come between); a tag
    # (sql`...`) right before the literal. Searching only there keeps this cheap on long lines.
    low = max(low, paren - 120) if paren != -1 else max(low, start - 40)
    return _QUERY_API_BEFORE.search(source, low, start) is not None


def query_api_verdict(text: str) -> str | None:
    """What a string passed straight to a query API (execute, .query, where, ...) is worth.

    "sql": it starts a statement, analyse it as usual; FRAGMENT: a piece of a query, kept apart
    with the reason; None: neither (a name, a word, a sentence): nothing to report.
    """
    head = strip_leading_noise(text)
    if _SQL_SHAPE.match(head) or _OTHER_STATEMENT.match(head):
        return "sql"
    shape = _FRAGMENT_SHAPE.match(head)
    # A clause keyword in capitals (WHERE, ORDER BY) is sign enough; "Order by phone" is not.
    signed = shape and (shape.group(0).split(None, 1)[0].isupper() or _FRAGMENT_SIGN.search(head))
    if signed and not _looks_like_prose(head):
        return FRAGMENT
    return None


# psycopg2 expands a tuple parameter into "(1, 2)": `IN %s` is `IN ($1)` once it is a parameter.
_IN_BEFORE = re.compile(r"\bIN\s+\Z", re.IGNORECASE)
_PAREN_AFTER = re.compile(r"\s*\(")
_TOKEN_STARTS = re.compile("[-/'\"$:%?@#{\ue000]")


@dataclass(slots=True)
class Prepared:
    """A query text with its placeholders and interpolations turned into `$n` parameters.

    `marks` pairs offsets of `text` with offsets of the original, one pair after each replaced token,
    so that a statement found in `text` is cut from the original as written. `interpolations` are the
    (start, end) spans in `text` of the parameters that stand for interpolated code.
    """

    text: str
    marks: list[tuple[int, int, int, int]]  # (start, end) in text, (start, end) in the original
    interpolations: list[tuple[int, int]]
    clauses: tuple[int, ...] = ()  # indexes of the interpolations that are template blocks ({% if %})
    # Starts (in text) of the interpolations written in the SQL itself, not marked by a language
    # extractor: Mustache parameters `{{ name }}` (redash), `${name}`, `$name`.
    bare: tuple[int, ...] = ()
    params: list[tuple[int, int]] = field(default_factory=list)  # spans of the placeholders' parameters

    def original_offset(self, offset: int) -> int:
        position = bisect_right(self.marks, (offset, float("inf"))) - 1
        if position < 0:
            return offset
        start, end, original_start, original_end = self.marks[position]
        if offset == start:
            return original_start
        return original_end + max(0, offset - end)


# Where a placeholder or an interpolation can start (a superset of _TOKENS' param and interp forms):
# a text without any is left as it is, without walking its literals, casts and comments.
_REPLACEABLE_CHARACTERS = "\ue000?%{#@"
_REPLACEABLE_NAMED = re.compile(r"\$[A-Za-z_{]|(?<![:\w]):[A-Za-z_]")


def _may_hold_placeholders(text: str) -> bool:
    """False when `text` holds nothing prepare() replaces (str.find at C speed for most forms)."""
    if any(character in text for character in _REPLACEABLE_CHARACTERS):
        return True
    return ("$" in text or ":" in text) and _REPLACEABLE_NAMED.search(text) is not None


def prepare(text: str) -> Prepared:
    """Turn every placeholder and interpolation outside SQL literals and comments into `$n`.

    A character-class search finds where a token can start and the token pattern is tried only
    there: much faster than letting an alternation of groups try every position.
    """
    if not _may_hold_placeholders(text):
        return Prepared(text, [], [])
    counter = max((int(n) for n in _POSITIONAL.findall(text)), default=0) if "$" in text else 0
    search, match_at = _TOKEN_STARTS.search, _TOKENS.match
    pieces, marks, interpolations, clauses, params, bare = [], [], [], [], [], []
    position = copied = length = 0
    while (start := search(text, position)) is not None:
        index = start.start()
        token = match_at(text, index)
        if token is None:
            position = index + 1
            continue
        position = token.end()
        kind = token.lastgroup
        interpolated = kind == "interp" or (kind == "param" and token.group(0) == PARAM_SENTINEL)
        if kind in ("param", "interp"):
            counter += 1
            replacement = f"${counter}"
            if interpolated:  # room for the widest stand-in (see _STAND_INS), so offsets never move
                replacement = replacement.ljust(max(len(f"tpl{counter}"), _STAND_IN_WIDTH))
            wrapped = _IN_BEFORE.search(text, max(0, index - 12), index) and not _PAREN_AFTER.match(text, position)
            if wrapped:
                replacement = f"({replacement})"
        elif kind in ("string", "ident") and PARAM_SENTINEL in token.group(0):
            # An interpolation inside a SQL literal ('%${name}%') stays a literal: mark it plainly.
            replacement = _INTERPOLATION.sub("?", token.group(0)).replace(PARAM_SENTINEL, "?")
        else:
            continue
        pieces.append(text[copied:index])
        length += index - copied
        if interpolated:
            inner = 1 if replacement.startswith("(") else 0
            if _TEMPLATE_BLOCK.match(token.group(0)):
                clauses.append(len(interpolations))
            if PARAM_SENTINEL not in token.group(0):
                bare.append(length + inner)
            interpolations.append((length + inner, length + len(replacement) - inner))
        elif kind == "param":
            inner = 1 if replacement.startswith("(") else 0
            params.append((length + inner, length + len(replacement) - inner))
        pieces.append(replacement)
        marks.append((length, length + len(replacement), index, position))
        length += len(replacement)
        copied = position
    if not pieces:
        return Prepared(text, [], [])
    pieces.append(text[copied:])
    return Prepared("".join(pieces), marks, interpolations, tuple(clauses), bare=tuple(bare), params=params)


def to_parameters(text: str) -> str:
    """The text with every placeholder as `$n` (see prepare)."""
    return prepare(text).text


def _looks_like_prose(sql: str) -> bool:
    # Fast answer for nearly every real query: no prose word anywhere (so none outside literals
    # either) and a first word that is lower case or all capitals ("select", "SELECT").
    if _PROSE_WORDS.search(sql.lower()) is None:
        stripped = sql.lstrip()
        if not stripped or stripped[0].islower() or stripped.split(None, 1)[0].isupper():
            return False
    bare = _QUOTED.sub(" ", sql) if ("'" in sql or '"' in sql or "-" in sql or "/*" in sql or "$" in sql) else sql
    lowered = bare.lower()
    words = set(_PROSE_WORDS.findall(lowered))
    # A word the statement qualifies names with (`we.session_id`) is a table alias, not English.
    if words and any(f"{word}." not in lowered for word in words):
        return True
    # "Select items from your cart" style: a capitalised first word and nothing else SQL-like.
    first = bare.lstrip().split(None, 1)[0] if bare.strip() else ""
    rest = bare[6:]
    if rest.strip().isdigit():  # "Select 1": a probe query, not a sentence
        return False
    return first[:1].isupper() and first[1:].islower() and not re.search(r"[*=(),;$<>']|\b[A-Z]{2,}\b", rest)


def _table_name(rangevar: dict) -> str:
    name = rangevar.get("relname", "")
    schema = rangevar.get("schemaname")
    return f"{schema}.{name}" if schema else name


def _walk(node, rangevars: list, ctes: set) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "relname" in item and isinstance(item.get("relname"), str):
                rangevars.append(item)
            cte = item.get("ctename")
            if isinstance(cte, str):
                ctes.add(cte)
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)


def _written_relations(kind: str, body: dict) -> list[dict]:
    if kind in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CreateStmt", "IndexStmt", "AlterTableStmt"):
        rel = body.get("relation")
        return [rel] if isinstance(rel, dict) else []
    if kind == "TruncateStmt":
        return [r.get("RangeVar", r) for r in body.get("relations", [])]
    if kind == "CopyStmt":
        rel = body.get("relation")
        return [rel] if isinstance(rel, dict) and body.get("is_from") else []
    if kind == "CreateTableAsStmt":
        rel = (body.get("into") or {}).get("rel")
        return [rel] if isinstance(rel, dict) else []
    if kind == "ViewStmt":
        rel = body.get("view")
        return [rel] if isinstance(rel, dict) else []
    return []


def _dropped_tables(body: dict) -> list[str]:
    names = []
    for obj in body.get("objects", []):
        items = obj.get("List", {}).get("items", []) if isinstance(obj, dict) else []
        parts = [i.get("String", {}).get("sval", "") for i in items if isinstance(i, dict)]
        if parts and all(parts):
            names.append(".".join(parts))
    return names


def _json_string(raw: str) -> str:
    return json.loads(f'"{raw}"') if "\\" in raw else raw


def _tables_from_json(json_text: str) -> tuple[list[str], set[str]]:
    """Every RangeVar's name (in order, repeats kept) and every CTE name, read off the parse JSON.

    Walking the decoded tree in Python was the slowest part of analysing a statement; string
    searches over libpg_query's JSON find the names at C speed. A RangeVar writes catalogname,
    schemaname, relname in that order, so a relname right after its object's `{` has no schema, and
    one right after `{"schemaname":"...",` has that schema. Names with escapes (or a catalog) take
    the regex.
    """
    names = []
    find, position = json_text.find, 0
    while (key := find('"relname":"', position)) != -1:
        position = key + 11
        end = find('"', position)
        name = json_text[position:end]
        if "\\" in name:
            return _tables_from_json_slowly(json_text)
        if json_text[key - 1] != "{":
            schema = _schema_before(json_text, key)
            if schema is None:
                return _tables_from_json_slowly(json_text)
            name = f"{schema}.{name}"
        names.append(name)
        position = end
    ctes = {_json_string(c) for c in _CTE_JSON.findall(json_text)} if '"ctename"' in json_text else set()
    return names, ctes


_SCHEMA_KEY = '{"schemaname":"'


def _schema_before(json_text: str, key: int) -> str | None:
    """The schema of the RangeVar whose relname key is at `key`, when `{"schemaname":"...",` is all that
    comes before it in its object; None otherwise (a catalog name, an escape)."""
    if json_text[key - 2 : key] != '",':
        return None
    start = json_text.rfind(_SCHEMA_KEY, max(0, key - 200), key)
    if start == -1:
        return None
    schema = json_text[start + len(_SCHEMA_KEY) : key - 2]
    return None if '"' in schema or "\\" in schema else schema


def _tables_from_json_slowly(json_text: str) -> tuple[list[str], set[str]]:
    names = []
    for schema, relname in _RANGEVAR_JSON.findall(json_text):
        name = _json_string(relname)
        names.append(f"{_json_string(schema)}.{name}" if schema else name)
    return names, {_json_string(c) for c in _CTE_JSON.findall(json_text)}


def _statement(
    kind: str, text: str, names: list[str], ctes: set[str], targets: list[str], dropped=(), constants: bool = True
) -> Statement:
    written = set(targets).union(dropped)
    remaining = names
    if targets:
        remaining = list(names)
        for target in targets:  # the written target itself is not a read; other mentions of it are
            if target in remaining:
                remaining.remove(target)
    read = {name for name in remaining if name not in ctes} if ctes else set(remaining)
    normalized = text
    if constants:  # without a constant there is nothing for normalize() to replace
        try:
            normalized = parser.normalize(text)
        except parser.ParseError:
            pass
    return Statement(
        sql=text,
        normalized=" ".join(normalized.split()),
        fingerprint=parser.fingerprint(text),
        statement_type=STATEMENT_TYPES.get(kind) or kind.removesuffix("Stmt").upper(),
        tables_read=tuple(sorted(read)),
        tables_written=tuple(sorted(written)),
    )


def _describe(kind: str, body: dict, text: str, json_text: str | None = None) -> Statement:
    targets = [_table_name(r) for r in _written_relations(kind, body)]
    if json_text is not None:
        names, ctes = _tables_from_json(json_text)
    else:
        rangevars: list[dict] = []
        ctes = set()
        _walk(body, rangevars, ctes)
        names = [_table_name(r) for r in rangevars]
    dropped = ()
    if kind == "DropStmt" and body.get("removeType") in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
        dropped = _dropped_tables(body)
    return _statement(kind, text, names, ctes, targets, dropped)


# The common case, one SELECT/INSERT/UPDATE/DELETE, is read off the JSON text without decoding it:
# these statements start with their target relation, so the first RangeVar is the one written.
_SINGLE_DML = re.compile(r'\{"version":\d+,"stmts":\[\{"stmt":\{"(SelectStmt|InsertStmt|UpdateStmt|DeleteStmt)":')
_STMT_SPAN = re.compile(r'(?:"stmt_location":(\d+),?)?(?:"stmt_len":(\d+))?\}\]\}$')
# JPQL/HQL select an entity alias (`SELECT u FROM User u`); PostgreSQL reads the same as a whole-row
# reference. Entity names are CamelCase, table names rarely are: only that shape is taken for JPQL.
_JPQL_TEXT = re.compile(
    r"\s*(?i:select)\s+(?i:distinct\s+)?(\w+)\s+(?i:from)\s+(?:\w+\.)*([A-Z][a-z0-9]*[A-Z]\w*|[A-Z][a-z0-9]+)"
    r"\s+(?i:as\s+)?(\w+)\b"
)
_JPQL_ONLY = re.compile(r"\bjoin\s+fetch\b|\bselect\s+new\s+[\w.]+\s*\(|\bmember\s+of\b", re.IGNORECASE)
JPQL_REASON = "JPQL/HQL (an ORM query language), not native SQL"
TEMPLATE_NOT_RUN = "template with interpolated names or clauses, not given to a query API"

# Bounds on what reaches the parser: a statement nested or chained deeper than this exhausts the
# parser's stack (a 52 KB `SELECT 1+1+...` of 26,000 terms). Real queries stay far below both.
MAX_TOKENS = 20_000
MAX_DEPTH = 200
_WORDS = re.compile(r"\w+|[^\w\s]")


def too_large_to_parse(text: str) -> str:
    """Why `text` must not be given to the parser (the limit it is over), or ""."""
    if len(text) > MAX_TOKENS:
        tokens = len(_WORDS.findall(text))
        if tokens > MAX_TOKENS:
            return f"too large to analyse: {tokens} tokens (the limit is {MAX_TOKENS})"
    if text.count("(") > MAX_DEPTH:
        depth = deepest = 0
        for character in text:
            if character == "(":
                depth += 1
                deepest = max(deepest, depth)
            elif character == ")":
                depth -= 1
        if deepest > MAX_DEPTH:
            return f"too deeply nested to analyse: {deepest} levels of parentheses (the limit is {MAX_DEPTH})"
    return ""


def _char_offset(text: str, raw: bytes | None, byte_offset: int) -> int:
    """pglast's locations count UTF-8 bytes; our slices count characters."""
    return byte_offset if raw is None else len(raw[:byte_offset].decode("utf-8", errors="ignore"))


def _as_written(original: str, prepared: Prepared, start: int, end: int) -> tuple[str, int, int]:
    """The statement spanning [start, end) of the prepared text, cut from the original as written
    (interpolation marks dropped), how many interpolations it holds, and where it starts in the original."""
    text = prepared.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ";"):
        end -= 1
    if prepared.marks:
        start, end = prepared.original_offset(start), prepared.original_offset(end)
    sql = original[start:end]
    count = sql.count(PARAM_SENTINEL)  # in names and clauses, and in literals ('%${name}%') too
    if count:
        sql = sql.replace(PARAM_SENTINEL, "").replace(INTERPOLATION_END, "")
    return sql, count, start


# Words each _JPQL_ONLY form holds: the search (case-insensitive, so without a literal prefix to skip
# ahead with) runs only when one of them is in the text.
_JPQL_ONLY_WORDS = ("fetch", "new", "member")


def _is_jpql(sql: str) -> bool:
    match = _JPQL_TEXT.match(sql)
    if match and match.group(1).lower() == match.group(3).lower():
        return True
    lowered = sql.lower()
    return any(word in lowered for word in _JPQL_ONLY_WORDS) and _JPQL_ONLY.search(sql) is not None


def _single_dml(
    original: str, prepared: Prepared, parsed: str, json_text: str, hint: str, named: list[int]
) -> Analysis | None:
    head = _SINGLE_DML.match(json_text)
    if head is None or json_text.count('{"stmt":') != 1:
        return None
    kind = head.group(1)
    # rfind, then match there: a regex search would walk the whole JSON to reach its end.
    tail = json_text.rfind('"stmt_')
    tail = json_text.rfind('"stmt_location":', 0, tail + 1) if '"stmt_location":' in json_text[tail - 40 :] else tail
    span = _STMT_SPAN.match(json_text, max(0, tail))
    raw = None if parsed.isascii() else parsed.encode()
    start = _char_offset(parsed, raw, int(span.group(1))) if span and span.group(1) else 0
    end = (
        start + _char_offset(parsed[start:], None if raw is None else parsed[start:].encode(), int(span.group(2)))
        if span and span.group(2)
        else len(parsed)
    )
    sql, count, offset = _as_written(original, prepared, start, end)
    count += sum(1 for at in named if start <= at < end) + sum(1 for at in prepared.bare if start <= at < end)
    check = parsed[start:end]
    if hint == "jpql" or (kind == "SelectStmt" and _is_jpql(check)):
        return Analysis([], JPQL_REASON)
    if _looks_like_prose(check):
        return Analysis([], "looks like prose, not a query")
    names, ctes = _tables_from_json(json_text)
    writes = kind != "SelectStmt" and json_text.startswith('{"relation":', head.end()) and names
    constants = '"A_Const"' in json_text
    statement = _statement(kind, check, names, ctes, [names[0]] if writes else [], constants=constants)
    statement.sql, statement.interpolations, statement.offset = sql, count, offset
    return Analysis([statement])


# What an interpolation may stand for, tried in turn where the parser stops: a value, a name
# (`FROM ${table}`), nothing (`${where}`, an optional clause), a condition, a subquery.
_STAND_INS = ("${n}", "tpl{n}", "", "true", "select 1")
_STAND_IN_WIDTH = len("select 1")
MAX_TEMPLATE_TRIES = 24


def _render(prepared: Prepared, choices: list[int], names: set[int]) -> str:
    """The prepared text with the chosen stand-ins: for interpolations (see _STAND_INS), and a name
    (`$4` becomes `_4`, the same length) for placeholders that stand where a name must be."""
    edits = [
        (start, end, _STAND_INS[choice].format(n=number))
        for number, ((start, end), choice) in enumerate(zip(prepared.interpolations, choices, strict=True), 1)
        if choice
    ]
    edits.extend(
        (start, end, "_" + prepared.text[start + 1 : end]) for start, end in map(prepared.params.__getitem__, names)
    )
    if not edits:
        return prepared.text
    pieces, copied = [], 0
    for start, end, stand_in in sorted(edits):
        pieces.append(prepared.text[copied:start])
        # Keep the length: the statement's offsets still point into the prepared text.
        pieces.append(stand_in.ljust(end - start))
        copied = end
    pieces.append(prepared.text[copied:])
    return "".join(pieces)


def _parse_template(prepared: Prepared) -> tuple[str, str, set[int]]:
    """Parse the prepared text, trying stand-ins for the interpolations where the parser stops, then
    a name for a placeholder there (`FROM %s` of a string formatted before it is run).

    Returns (the text that parsed, its JSON, the placeholders made names); ParseError when nothing
    makes it parse. The text differs from prepared.text when a stand-in other than a value was used.
    """
    choices = [0] * len(prepared.interpolations)
    for index in prepared.clauses:
        choices[index] = 2
    names: set[int] = set()
    text = _render(prepared, choices, names)
    for _ in range(MAX_TEMPLATE_TRIES):
        try:
            return text, parser.parse_sql_json(text), names
        except parser.ParseError as exc:
            if not choices and not prepared.params:
                raise
            stop = exc.args[1] if len(exc.args) > 1 and exc.args[1] else len(text)
            stop = _char_offset(text, None if text.isascii() else text.encode(), stop)
            # The last interpolation before the place the parser stopped, that has a stand-in left.
            index = next(
                (i for i in range(len(choices) - 1, -1, -1)
                 if prepared.interpolations[i][0] <= stop and choices[i] < len(_STAND_INS) - 1),
                None,
            )  # fmt: skip
            if index is not None:
                choices[index] += 1
            else:
                param = next(
                    (i for i in range(len(prepared.params) - 1, -1, -1)
                     if prepared.params[i][0] <= stop and i not in names),
                    None,
                )  # fmt: skip
                if param is None:
                    raise
                names.add(param)
            text = _render(prepared, choices, names)
    raise parser.ParseError("too many interpolations to complete", 0)


def _has_template_tag(text: str) -> bool:
    """`{{` or `{%` outside SQL literals (`'{%s}'` is an array literal, not a tag)."""
    bare = _QUOTED.sub(" ", text)
    return "{{" in bare or "{%" in bare


def analyse(text: str, *, hint: str = "", keep_plumbing: bool = False) -> Analysis:
    """Parse `text` with pglast after placeholder normalization; describe each statement or say why not.

    Results are cached per process: the same query text recurs across a code base.
    """
    return _analyse(text, hint, keep_plumbing)


@lru_cache(maxsize=8192)
def _analyse(text: str, hint: str, keep_plumbing: bool) -> Analysis:
    if hint == MOCK:
        return Analysis([], "a pattern given to a SQL mock (ExpectQuery/ExpectExec), not a query")
    if hint == FRAGMENT:  # a piece of a query: pglast could only say it is not a statement
        built = "fragment of a query built by concatenation or interpolation" if PARAM_SENTINEL in text else "fragment"
        return Analysis([], f"{built}: does not start a statement")
    prepared = prepare(text)
    if ("{{" in prepared.text or "{%" in prepared.text) and _has_template_tag(prepared.text):
        return Analysis([], "a template (Jinja/Handlebars), not plain SQL")
    refused = too_large_to_parse(prepared.text)
    if refused:
        return Analysis([], refused)
    try:
        parsed, json_text, names = _parse_template(prepared)
        if parsed != prepared.text and hint != API and hint != "jpql":
            # Names or clauses pasted in, and nothing says a database runs it: a message, a log line.
            return Analysis([], TEMPLATE_NOT_RUN)
    except parser.ParseError as exc:
        if PARAM_SENTINEL in text:  # e.g. "SELECT * FROM " + table: only the running program knows the rest
            return Analysis(
                [], f"fragment of a query built by concatenation or interpolation: does not parse alone ({exc.args[0]})"
            )
        return Analysis([], f"does not parse as PostgreSQL: {exc.args[0]}")
    named = [prepared.params[i][0] for i in names]
    fast = _single_dml(text, prepared, parsed, json_text, hint, named)
    if fast is not None:
        return fast
    tree = json.loads(json_text)
    raw = None if parsed.isascii() else parsed.encode()
    statements = []
    entries = tree.get("stmts", [])
    single = len(entries) == 1
    for entry in entries:
        stmt = entry.get("stmt")
        if not stmt:
            continue
        kind, body = next(iter(stmt.items()))
        if kind in PLUMBING and not keep_plumbing:
            continue
        start = entry.get("stmt_location", 0)
        length = entry.get("stmt_len") or (len(raw) if raw is not None else len(parsed)) - start
        char_start = _char_offset(parsed, raw, start)
        char_end = _char_offset(parsed, raw, start + length)
        sql, count, offset = _as_written(text, prepared, char_start, char_end)
        count += sum(1 for at in named if char_start <= at < char_end)
        count += sum(1 for at in prepared.bare if char_start <= at < char_end)
        check = parsed[char_start:char_end].strip().rstrip(";").rstrip()
        if hint == "jpql" or (kind == "SelectStmt" and _is_jpql(check)):
            return Analysis([], JPQL_REASON)
        if _looks_like_prose(check):
            return Analysis([], "looks like prose, not a query")
        statement = _describe(kind, body, check, json_text if single else None)
        statement.sql, statement.interpolations, statement.offset = sql, count, offset
        statements.append(statement)
    # Only session plumbing (BEGIN, SET ...): nothing to report either way.
    return Analysis(statements)
