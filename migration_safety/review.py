"""Review a DDL script: per statement its lock, what it blocks, and every rule's findings."""

from __future__ import annotations

from pglast import ast

from migration_safety.locks import BLOCKS, lock_of
from migration_safety.model import Facts, Finding, Review, StatementReview
from migration_safety.registry import all_rules
from migration_safety.tree import AlterTableType, Script, adds_rewriting_column, parse_script


def _add_column_rewrites(cmd: ast.AlterTableCmd) -> bool:
    return cmd.subtype == AlterTableType.AT_AddColumn and adds_rewriting_column(cmd.def_)


def _statement_review(script: Script, index: int) -> StatementReview:
    statement = script.statements[index]
    lock = lock_of(statement.node, rewrites_by_default=_add_column_rewrites)
    facts = script.facts.table(lock.tables[0]) if lock.tables else None
    return StatementReview(
        index=index,
        sql=statement.sql,
        lock=lock.mode,
        tables=lock.tables,
        blocks=BLOCKS[lock.mode],
        rewrites_table=lock.rewrites,
        table_rows=facts.rows if facts else None,
        table_bytes=facts.size_bytes if facts else None,
    )


def review(sql: str, facts: Facts | None = None) -> Review:
    """Parse `sql` (pglast's ParseError on a syntax error) and review every statement."""
    script = parse_script(sql, facts)
    findings: list[Finding] = []
    for statement in script.statements:
        for rule in all_rules():
            findings.extend(rule.check(statement, script))
    statements = tuple(_statement_review(script, s.index) for s in script.statements)
    return Review(statements=statements, findings=tuple(findings))
