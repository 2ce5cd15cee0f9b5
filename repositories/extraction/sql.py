"""Deciding whether a string is PostgreSQL, and describing it: type, tables, normalized text, fingerprint.

Placeholders of every driver and interpolations of every language become `$n` parameters
first, so `WHERE id = ?` and `WHERE id = %(id)s` are the same query.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

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
      | select\s+(?:distinct\s+)?(?:\d|\*|count\s*\(|now\s*\(|exists\b|current_|nextval|\$|[a-z_][\w.]*\s*\()
      | insert\s+into\b
      | update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s+set\b
      | delete\s+from\b
      | with\s+(?:recursive\s+)?[\w"]+(?:\s*\([^)]*\))?\s+as\s+(?:not\s+)?(?:materialized\s+)?\(
      | create\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:temp(?:orary)?\s+|unlogged\s+)?
        (?:table|index|view|materialized\s+view|function|procedure|trigger|sequence|schema|type|extension)\b
      | alter\s+(?:table|index|sequence|view|type|materialized\s+view)\b
      | drop\s+(?:table|index|view|sequence|function|type|schema|materialized\s+view|trigger)\b
      | truncate\s+(?:table\s+)?[\w."]+
      | merge\s+into\b
      | copy\s+[\w."]+(?:\s*\([^)]*\))?\s+(?:from|to)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Tokens of SQL text: literals and comments are copied as they are, placeholders become parameters.
# Every alternative starts with a fixed character (lookbehinds come after it), so the regex engine
# can skip ordinary text at C speed instead of trying each alternative at every position.
_TOKENS = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*[\s\S]*?\*/)
    | (?P<string>'(?:[^'\\]|''|\\.)*')
    | (?P<ident>"(?:[^"]|"")*")
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$[\s\S]*?\$(?P=tag)\$)
    | (?P<cast>::)
    | (?P<positional>\$\d+)
    | (?P<param>
          %\(\w+\)s | %[sdvq](?![\w]) | \? | :(?<![:\w]:)[A-Za-z_]\w* | @(?<![\w@]@)[A-Za-z_]\w*
        | [#$]\{[^}]*\} | \{\w*\} | \ue000
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
    return _SQL_SHAPE.match(strip_leading_noise(text)) is not None


# Statements _SQL_SHAPE leaves out because they are rare in code, but real when a query API runs them.
_OTHER_STATEMENT = re.compile(
    r"""(?:
        (?:vacuum|analy[sz]e|reindex|cluster)\b
      | refresh\s+materialized\s+view\b | lock\s+(?:table\s+)?[\w."]+ | call\s+[\w."]+\s*\(
      | explain\b | (?:grant|revoke)\s+\w+[\w\s,]*\s(?:on|to|from)\b | comment\s+on\b
      | (?:listen|notify|unlisten)\s+[\w"]+ | do\s+\$
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
FRAGMENT = "fragment"  # Candidate.hint of a string given to a query API that does not start a statement
# Calls of every language whose string argument is SQL, whole or in pieces, lower-cased, as a regex
# alternation: DB-API/Django/SQLAlchemy/pandas, node drivers and knex, JDBC/JPA/Spring, ActiveRecord,
# PDO, database/sql and gorm, ADO.NET and EF Core.
QUERY_API_NAMES = (
    r"execute(?:many|script|query|update|scalar|nonquery|reader|sqlraw(?:async)?|_query)?|raw|text|extra|rawsql"
    r"|read_sql(?:_query)?|query(?:row)?(?:context)?|query(?:forobject|forlist|formap|forrowset)|exec(?:context)?"
    r"|prepare(?:context)?|find_by_sql|select_(?:all|rows|value|values|one)|where(?:raw|not)?|(?:order_?by|having"
    r"|select|group_?by|join)raw|createnativequery|fromsql(?:raw|interpolated)?|sqlcommand|sqlquery(?:raw)?"
)
_QUERY_API_BEFORE = re.compile(
    r"(?:\b(?:" + QUERY_API_NAMES + r")\s*\(\s*(?:where\s*=\s*\[\s*)?|\bsql\s*)\Z", re.IGNORECASE
)


def given_to_query_api(source: str, start: int) -> bool:
    """Whether the literal starting at `start` (its prefix included) is the first argument of a query
    API call, an item of Django's extra(where=[...]), or a `sql`-tagged template."""
    return _QUERY_API_BEFORE.search(source, max(0, start - 64), start) is not None


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


_BARE_IN = re.compile(r"(\bIN\s+)(\$\d+)(?!\s*\()", re.IGNORECASE)
_TOKEN_STARTS = re.compile("[-/'\"$:%?@#{\ue000]")


def to_parameters(text: str) -> str:
    """Turn every placeholder and interpolation outside SQL literals and comments into `$n`.

    A character-class search finds where a token can start and the token pattern is tried only
    there: much faster than letting an alternation of groups try every position.
    """
    counter = max((int(n) for n in _POSITIONAL.findall(text)), default=0) if "$" in text else 0
    search, match_at = _TOKEN_STARTS.search, _TOKENS.match
    pieces, position, copied = [], 0, 0
    while (start := search(text, position)) is not None:
        index = start.start()
        token = match_at(text, index)
        if token is None:
            position = index + 1
            continue
        position = token.end()
        if token.lastgroup == "param":
            counter += 1
            pieces.append(text[copied:index])
            pieces.append(f"${counter}")
            copied = position
    if not pieces:
        return text
    pieces.append(text[copied:])
    # psycopg2 expands a tuple parameter into "(1, 2)": `IN %s` is `IN ($1)` once it is a parameter.
    return _BARE_IN.sub(r"\1(\2)", "".join(pieces))


def _looks_like_prose(sql: str) -> bool:
    # Fast answer for nearly every real query: no prose word anywhere (so none outside literals
    # either) and a first word that is lower case or all capitals ("select", "SELECT").
    if _PROSE_WORDS.search(sql.lower()) is None:
        stripped = sql.lstrip()
        if not stripped or stripped[0].islower() or stripped.split(None, 1)[0].isupper():
            return False
    bare = _QUOTED.sub(" ", sql) if ("'" in sql or '"' in sql or "-" in sql or "/*" in sql or "$" in sql) else sql
    if _PROSE_WORDS.search(bare.lower()):
        return True
    # "Select items from your cart" style: a capitalised first word and nothing else SQL-like.
    first = bare.lstrip().split(None, 1)[0] if bare.strip() else ""
    return first[:1].isupper() and first[1:].islower() and not re.search(r"[*=(),;$<>']|\b[A-Z]{2,}\b", bare[6:])


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


def _is_jpql(kind: str, body: dict) -> bool:
    """`SELECT u FROM User u`: the select list is a bare alias of a FROM item, as in JPQL/HQL."""
    if kind != "SelectStmt":
        return False
    aliases = set()
    for item in body.get("fromClause", []):
        inner = next(iter(item.values()), None) if isinstance(item, dict) else None
        if isinstance(inner, dict) and inner.get("alias"):
            aliases.add(inner["alias"].get("aliasname"))
    if not aliases:
        return False
    for target in body.get("targetList", []):
        val = target.get("ResTarget", {}).get("val", {})
        fields = val.get("ColumnRef", {}).get("fields", [])
        if len(fields) == 1 and fields[0].get("String", {}).get("sval") in aliases:
            return True
    return False


def _json_string(raw: str) -> str:
    return json.loads(f'"{raw}"') if "\\" in raw else raw


def _tables_from_json(json_text: str) -> tuple[list[str], set[str]]:
    """Every RangeVar's name (in order, repeats kept) and every CTE name, read off the parse JSON.

    Walking the decoded tree in Python was the slowest part of analysing a statement; string
    searches over libpg_query's JSON find the names at C speed. A RangeVar writes catalogname,
    schemaname, relname in that order, so a relname right after its object's `{` has no schema.
    Names with escapes (or a schema) take the regex.
    """
    names = []
    find, position = json_text.find, 0
    while (key := find('"relname":"', position)) != -1:
        position = key + 11
        end = find('"', position)
        name = json_text[position:end]
        if json_text[key - 1] != "{" or "\\" in name:
            return _tables_from_json_slowly(json_text)
        names.append(name)
        position = end
    ctes = {_json_string(c) for c in _CTE_JSON.findall(json_text)} if '"ctename"' in json_text else set()
    return names, ctes


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
_STMT_LEN = re.compile(r'"stmt_len":(\d+)\}\]\}$')
_JPQL_TEXT = re.compile(r"\s*select\s+(?:distinct\s+)?(\w+)\s+from\s+[\w.]+\s+(?:as\s+)?(\w+)\b", re.IGNORECASE)


def _single_dml(prepared: str, json_text: str, hint: str) -> Analysis | None:
    head = _SINGLE_DML.match(json_text)
    if head is None or json_text.count('{"stmt":') != 1:
        return None
    kind = head.group(1)
    # rfind, then match there: a regex search would walk the whole JSON to reach its end.
    length = _STMT_LEN.match(json_text, max(0, json_text.rfind('"stmt_len":')))
    sql = (prepared.encode()[: int(length.group(1))].decode(errors="replace") if length else prepared).strip()
    jpql = _JPQL_TEXT.match(sql) if kind == "SelectStmt" else None
    if hint == "jpql" or (jpql and jpql.group(1).lower() == jpql.group(2).lower()):
        return Analysis([], "JPQL/HQL (an ORM query language), not native SQL")
    if _looks_like_prose(sql):
        return Analysis([], "looks like prose, not a query")
    names, ctes = _tables_from_json(json_text)
    writes = kind != "SelectStmt" and json_text.startswith('{"relation":', head.end()) and names
    constants = '"A_Const"' in json_text
    return Analysis([_statement(kind, sql, names, ctes, [names[0]] if writes else [], constants=constants)])


def analyse(text: str, *, hint: str = "", keep_plumbing: bool = False) -> Analysis:
    """Parse `text` with pglast after placeholder normalization; describe each statement or say why not.

    Results are cached per process: the same query text recurs across a code base.
    """
    return _analyse(text, hint, keep_plumbing)


@lru_cache(maxsize=8192)
def _analyse(text: str, hint: str, keep_plumbing: bool) -> Analysis:
    if hint == FRAGMENT:  # a piece of a query: pglast could only say it is not a statement
        built = "fragment of a query built by concatenation or interpolation" if PARAM_SENTINEL in text else "fragment"
        return Analysis([], f"{built}: does not start a statement")
    # An interpolation inside a SQL literal ('%$name%') stays a literal: mark it plainly.
    prepared = to_parameters(text).replace(PARAM_SENTINEL, "?")
    if "{{" in prepared or "{%" in prepared:
        return Analysis([], "a template (Jinja/Handlebars), not plain SQL")
    try:
        json_text = parser.parse_sql_json(prepared)
    except parser.ParseError as exc:
        if PARAM_SENTINEL in text:  # e.g. "SELECT * FROM " + table: only the running program knows the rest
            return Analysis(
                [], f"fragment of a query built by concatenation or interpolation: does not parse alone ({exc.args[0]})"
            )
        return Analysis([], f"does not parse as PostgreSQL: {exc.args[0]}")
    fast = _single_dml(prepared, json_text, hint)
    if fast is not None:
        return fast
    tree = json.loads(json_text)
    raw = prepared.encode()
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
        length = entry.get("stmt_len") or len(raw) - start
        sql = raw[start : start + length].decode(errors="replace").strip()
        if hint == "jpql" or _is_jpql(kind, body):
            return Analysis([], "JPQL/HQL (an ORM query language), not native SQL")
        if _looks_like_prose(sql):
            return Analysis([], "looks like prose, not a query")
        statements.append(_describe(kind, body, sql, json_text if single else None))
    # Only session plumbing (BEGIN, SET ...): nothing to report either way.
    return Analysis(statements)
