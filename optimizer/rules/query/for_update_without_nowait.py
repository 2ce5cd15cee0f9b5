"""for-update-without-nowait: SELECT ... FOR UPDATE that waits for locks.

Its must-fire and must-not cases are in for_update_without_nowait.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import LockWaitPolicy

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for clause in ctx.of(ast.LockingClause):
        if clause.waitPolicy == LockWaitPolicy.LockWaitBlock:
            where = next((w for w in (ctx.token_span("FOR", k) for k in ("UPDATE", "SHARE", "NO", "KEY")) if w), None)
            out.append(ctx.finding(None, "Row lock waits indefinitely for concurrent holders.", location=where))
    return out


RULE = Rule(
    id="for-update-without-nowait",
    title="SELECT ... FOR UPDATE that waits for locks",
    severity="info",
    explanation="""FOR UPDATE / FOR SHARE without NOWAIT or SKIP LOCKED waits as long as another transaction
    holds the row: under load, workers queue behind each other (a classic job-queue bottleneck).""",
    fix="""Queue consumers: add SKIP LOCKED. Interactive requests: add NOWAIT (or set lock_timeout) and retry.""",
    example="SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE",
    better="SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    check=check,
)
