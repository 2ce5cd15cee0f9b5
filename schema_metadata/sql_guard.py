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
from dataclasses import dataclass, field

import pglast
from pglast import ast, visitors
from pglast.enums import A_Expr_Kind, CmdType
from pglast.parser import ParseError, scan
from pglast.stream import RawStream

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


# --- executing: a decision from the target's own catalog ----------------------

# Volatile functions whose only effect is their result: nothing outlives the rolled-back transaction.
# nextval/setval are not here: a sequence is never rolled back. pg_sleep is bounded by the statement timeout.
HARMLESS_VOLATILE = frozenset(
    {
        "random", "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid", "uuidv4", "uuidv7",
        "pg_sleep", "pg_sleep_for", "pg_sleep_until",
    }
)  # fmt: skip
# Views and rules are expanded recursively up to this many: past it, the statement is planned only.
MAX_EXPANDED_OBJECTS = 200
_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}


@dataclass
class ExecutionVerdict:
    """Whether a statement may be executed (EXPLAIN ANALYZE, result checks, timings) and, if not, why."""

    allowed: bool
    reason: str = ""
    offending: list[str] = field(default_factory=list)


_BETWEEN_KINDS = {
    A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN, A_Expr_Kind.AEXPR_BETWEEN_SYM,
    A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM,
}  # fmt: skip


class _References(visitors.Visitor):
    """Every function, operator, cast type and relation a parse tree names."""

    def __init__(self):
        self.functions: set[tuple[str | None, str]] = set()
        self.operators: set[tuple[str | None, str]] = set()
        self.types: set[str] = set()
        self.relations: set[tuple[str | None, str]] = set()

    @staticmethod
    def _split(parts) -> tuple[str | None, str]:
        names = [getattr(p, "sval", None) or "" for p in parts]
        return (names[-2] if len(names) > 1 else None), names[-1]

    def visit_FuncCall(self, ancestors, node):
        self.functions.add(self._split(node.funcname))

    def visit_A_Expr(self, ancestors, node):
        if node.name and node.kind in _BETWEEN_KINDS:
            self.operators.update({(None, "<="), (None, ">=")})
        elif node.name:
            self.operators.add(self._split(node.name))

    def visit_TypeCast(self, ancestors, node):
        self.types.add(RawStream()(node.typeName))

    def visit_RangeVar(self, ancestors, node):
        self.relations.add((node.schemaname, node.relname))


def _references(stmt) -> _References:
    refs = _References()
    refs(stmt)
    return refs


_FUNCTIONS_SQL = """
SELECT DISTINCT n.nspname, p.proname, p.provolatile
FROM unnest(%s::text[], %s::text[]) AS want(schema, name)
JOIN pg_proc p ON p.proname = want.name
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE CASE WHEN want.schema IS NULL THEN n.nspname = ANY (current_schemas(true)) ELSE n.nspname = want.schema END
"""
_OPERATORS_SQL = """
SELECT DISTINCT n.nspname, o.oprname, pn.nspname, p.proname, p.provolatile
FROM unnest(%s::text[], %s::text[]) AS want(schema, name)
JOIN pg_operator o ON o.oprname = want.name
JOIN pg_namespace n ON n.oid = o.oprnamespace
JOIN pg_proc p ON p.oid = o.oprcode
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE CASE WHEN want.schema IS NULL THEN n.nspname = ANY (current_schemas(true)) ELSE n.nspname = want.schema END
"""
# The type's input function and every cast into it.
_CASTS_SQL = """
SELECT DISTINCT want.name, pn.nspname, p.proname, p.provolatile
FROM unnest(%s::text[]) AS want(name)
JOIN pg_type t ON t.oid = to_regtype(want.name)
JOIN pg_proc p ON p.oid = t.typinput OR p.oid IN (SELECT castfunc FROM pg_cast WHERE casttarget = t.oid)
JOIN pg_namespace pn ON pn.oid = p.pronamespace
"""
# Views (their definition), rules, column defaults, triggers, row-level security policies (when enabled) and the
# column types (for their domains' checks) of the relations named.
_RELATIONS_SQL = """
SELECT c.oid, format('%%I.%%I', n.nspname, c.relname), c.relkind,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
       ARRAY(SELECT pg_get_ruledef(r.oid) FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'),
       ARRAY(SELECT ARRAY[a.attname::text, pg_get_expr(d.adbin, d.adrelid)] FROM pg_attrdef d
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE d.adrelid = c.oid AND a.attgenerated = ''),
       ARRAY(SELECT ARRAY[t.tgname::text, format('%%I.%%I', pn.nspname, p.proname), t.tgtype::text]
             FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
             WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND p.provolatile = 'v'),
       ARRAY(SELECT ARRAY[pol.polname::text, pol.polcmd::text, coalesce(pg_get_expr(pol.polqual, pol.polrelid), ''),
                          coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')]
             FROM pg_policy pol WHERE pol.polrelid = c.oid AND c.relrowsecurity),
       ARRAY(SELECT ARRAY[a.attname::text, a.atttypid::text] FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
FROM unnest(%s::text[], %s::text[]) AS want(schema, name)
JOIN pg_class c ON c.oid = to_regclass(CASE WHEN want.schema IS NULL THEN format('%%I', want.name)
                                           ELSE format('%%I.%%I', want.schema, want.name) END)
JOIN pg_namespace n ON n.oid = c.relnamespace
"""

# The CHECK constraints of the domains among the given types, through domains over domains and arrays of domains:
# PostgreSQL evaluates them on every value cast to or stored as the domain.
_DOMAIN_CHECKS_SQL = """
WITH RECURSIVE types(label, typid) AS (
    SELECT want.label, want.typid FROM unnest(%s::text[], %s::oid[]) AS want(label, typid)
    UNION
    SELECT types.label, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
    FROM types JOIN pg_type t ON t.oid = types.typid
    WHERE t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0)
)
SELECT DISTINCT types.label, format_type(con.contypid, NULL), con.conname, pg_get_expr(con.conbin, 0)
FROM types JOIN pg_constraint con ON con.contypid = types.typid AND con.contype = 'c'
"""
# pg_policy.polcmd: which statements a policy applies to ('*' all).
_POLICY_COMMANDS = {"select": "r*", "insert": "ar*", "update": "wr*", "delete": "dr*", "merge": "awdr*"}

# pg_trigger.tgtype: 4 INSERT, 8 DELETE, 16 UPDATE (a MERGE may do any of them).
_TRIGGER_EVENTS = {"insert": 4, "delete": 8, "update": 16, "merge": 4 | 8 | 16}


def _harmless(schema: str, name: str) -> bool:
    return schema == "pg_catalog" and name in HARMLESS_VOLATILE


class _CatalogCheck:
    """Walks a statement and, through the catalog, every view and rule it reaches."""

    def __init__(self, conn, *, kind: str, inserts: bool, given_columns: set[str] | None = None, locks: bool = False):
        self.conn = conn
        self.kind = kind
        # FOR UPDATE / FOR SHARE rows are also filtered by the UPDATE policies
        self.read_policies = "rw*" if locks else "r*"
        self.trigger_events = _TRIGGER_EVENTS.get(kind, 0)  # the pg_trigger.tgtype bits this statement fires
        self.given_columns = given_columns  # columns an INSERT gives values for (None: any may take its default)
        self.writes = kind in DML_KINDS  # DML executed in a rolled-back transaction: triggers fire too
        self.inserts = inserts  # and, for new rows, column defaults are evaluated (nextval!)
        self.offending: list[str] = []
        self.seen_relations: set[int] = set()
        self.expanded = 0

    def _flag(self, text: str) -> None:
        if text not in self.offending:
            self.offending.append(text)

    def _pairs(self, names) -> tuple[list, list]:
        names = sorted(names, key=lambda p: (p[0] or "", p[1]))
        return [schema for schema, _ in names], [name for _, name in names]

    def check_tree(self, stmt, *, dml_targets=()) -> None:
        refs = _references(stmt)
        if refs.functions:
            for schema, name, volatility in self.conn.execute(_FUNCTIONS_SQL, self._pairs(refs.functions)):
                if volatility == "v" and not _harmless(schema, name):
                    self._flag(f"{schema}.{name}() (volatile)")
        if refs.operators:
            for _, opname, schema, name, volatility in self.conn.execute(_OPERATORS_SQL, self._pairs(refs.operators)):
                if volatility == "v" and not _harmless(schema, name):
                    self._flag(f"operator {opname} ({schema}.{name}(), volatile)")
        if refs.types:
            for type_name, schema, name, volatility in self.conn.execute(_CASTS_SQL, [sorted(refs.types)]):
                if volatility == "v" and not _harmless(schema, name):
                    self._flag(f"cast to {type_name} ({schema}.{name}(), volatile)")
            types = sorted(refs.types)
            oids = self.conn.execute("SELECT to_regtype(t)::oid FROM unnest(%s::text[]) AS t", [types]).fetchall()
            known = [(t, oid) for t, (oid,) in zip(types, oids, strict=True) if oid is not None]
            self._check_domains(known, where="a cast to {}")
        if refs.relations:
            self._check_relations(refs.relations, dml_targets=dml_targets)

    def _check_relations(self, relations, *, dml_targets) -> None:
        rows = self.conn.execute(_RELATIONS_SQL, self._pairs(relations)).fetchall()
        for oid, qualified, _relkind, viewdef, rules, defaults, triggers, policies, columns in rows:
            if oid in self.seen_relations:
                continue
            self.seen_relations.add(oid)
            self.expanded += 1
            if self.expanded > MAX_EXPANDED_OBJECTS:
                raise _TooManyObjects
            is_target = qualified.split(".")[-1].strip('"') in dml_targets or qualified in dml_targets
            if viewdef:
                self._check_text(viewdef, where=f"view {qualified}")
            for rule in rules or ():
                self._check_text(rule, where=f"a rule on {qualified}")
            if self.inserts and is_target:
                for column, default in defaults or ():
                    if self.given_columns is None or column not in self.given_columns:
                        self._check_text(f"SELECT {default}", where=f"a column default of {qualified}")
            if self.writes and is_target:
                for trigger, function, tgtype in triggers or ():
                    if int(tgtype) & self.trigger_events:
                        self._flag(f"trigger {trigger} ({function}(), volatile) on {qualified}")
            self._check_policies(policies or (), qualified, is_target=is_target)
            if self.writes and is_target and self.kind != "delete":
                stored = [(name, int(typid)) for name, typid in columns or ()]
                self._check_domains(stored, where=f"column {{}} of {qualified}")

    def _check_policies(self, policies, qualified: str, *, is_target: bool) -> None:
        """Row-level security: the USING and WITH CHECK expressions of the policies this statement meets run
        for every row it reads or writes, with whatever functions they call."""
        commands = _POLICY_COMMANDS.get(self.kind, "*") if is_target else self.read_policies
        for name, command, using, with_check in policies:
            if command not in commands:
                continue
            for expression in (using, with_check if is_target else ""):
                if expression:
                    self._check_text(f"SELECT {expression}", where=f"policy {name} on {qualified}")

    def _check_domains(self, typed: list[tuple[str, int]], *, where: str) -> None:
        """The CHECK constraints of the domains among `typed` ((label, type oid) pairs), which run on every
        value cast to or stored as the domain. `where` names the place, "{}" standing for the label."""
        if not typed:
            return
        labels, oids = [label for label, _ in typed], [oid for _, oid in typed]
        for label, domain, constraint, expression in self.conn.execute(_DOMAIN_CHECKS_SQL, [labels, oids]):
            self._check_text(
                f"SELECT {expression}", where=f"check {constraint} of domain {domain} ({where.format(label)})"
            )

    def _check_text(self, sql: str, *, where: str) -> None:
        before = len(self.offending)
        for raw in parse_sql(sql, what=where):
            self.check_tree(raw.stmt)
        for i in range(before, len(self.offending)):
            self.offending[i] += f" in {where}"


class _TooManyObjects(Exception):
    pass


def _dml_targets(stmt) -> set[str]:
    """Names of the tables a data-changing statement (or its data-changing CTEs) writes to."""
    targets = set()
    relation = getattr(stmt, "relation", None)
    if relation is not None:
        targets.add(relation.relname)
    with_clause = getattr(stmt, "withClause", None)
    for cte in (with_clause.ctes if with_clause is not None else None) or ():
        if not isinstance(cte.ctequery, ast.SelectStmt):
            targets |= _dml_targets(cte.ctequery)
    return targets


def _inserts_rows(stmt) -> bool:
    """An INSERT, a MERGE with an INSERT action, or a statement with such a CTE: column defaults run."""
    if isinstance(stmt, ast.InsertStmt):
        return True
    if isinstance(stmt, ast.MergeStmt):
        return any(w.commandType == CmdType.CMD_INSERT for w in stmt.mergeWhenClauses or ())
    with_clause = getattr(stmt, "withClause", None)
    return any(_inserts_rows(cte.ctequery) for cte in (with_clause.ctes if with_clause is not None else None) or ())


class _Defaults(visitors.Visitor):
    found = False

    def visit_SetToDefault(self, ancestors, node):
        self.found = True


def _given_columns(stmt) -> set[str] | None:
    """The columns a plain INSERT lists (their defaults never run), or None when any default may run."""
    if not isinstance(stmt, ast.InsertStmt) or not stmt.cols:
        return None
    defaults = _Defaults()
    defaults(stmt)
    return None if defaults.found else {col.name for col in stmt.cols}


def execution_verdict(conn, sql: str) -> ExecutionVerdict:
    """May `sql` be executed on `conn`'s database inside a transaction that is rolled back?

    Only if every function it calls, directly, through operators, casts (and the checks of the domains cast
    to), views (recursively), rules, the row-level security policies of the tables it reads or writes, and for
    data-changing statements column defaults, triggers and the checks of the domains its columns are stored
    as, is immutable or stable in the target's own catalog,
    or one of HARMLESS_VOLATILE in pg_catalog. Anything else could act outside the transaction
    (query_to_xml running pg_terminate_backend, dblink, lo_export, nextval, advisory locks...): planned only.
    The catalog is read inside a savepoint of the caller's transaction; any doubt refuses.
    """
    stmt, kind = parse_single_statement(sql)
    check = _CatalogCheck(
        conn,
        kind=kind,
        inserts=_inserts_rows(stmt),
        given_columns=_given_columns(stmt),
        locks=bool(getattr(stmt, "lockingClause", None)),
    )
    conn.execute("SAVEPOINT dbooster_guard")
    try:
        check.check_tree(stmt, dml_targets=_dml_targets(stmt))
    except _TooManyObjects:
        conn.execute("ROLLBACK TO SAVEPOINT dbooster_guard")
        return ExecutionVerdict(
            False, f"it reaches more than {MAX_EXPANDED_OBJECTS} views and rules, too many to check", ["views"]
        )
    except Exception as exc:  # noqa: BLE001 - a catalog or parse failure means "not proven harmless"
        conn.execute("ROLLBACK TO SAVEPOINT dbooster_guard")
        return ExecutionVerdict(False, f"what it calls could not be checked ({exc.__class__.__name__})", [])
    conn.execute("RELEASE SAVEPOINT dbooster_guard")
    if check.offending:
        shown = ", ".join(check.offending[:8]) + (" ..." if len(check.offending) > 8 else "")
        return ExecutionVerdict(
            False,
            f"it calls {shown}: a volatile function may act outside the transaction, where a rollback cannot undo it",
            check.offending,
        )
    return ExecutionVerdict(True)


def executable(conn, sql: str) -> bool:
    """Shorthand: True when execution_verdict allows `sql`."""
    return execution_verdict(conn, sql).allowed


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
