"""for-update-without-nowait: SELECT ... FOR UPDATE that waits for locks.

Its must-fire and must-not cases are in for_update_without_nowait.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import LockWaitPolicy

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, relation_names, spoken_list, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import sql_of

LOCK_TIMEOUT = "SET LOCAL lock_timeout = '2s'"


def _with_policy(ctx: RuleContext, clause, policy) -> str | None:
    def changed(copied):
        copied.waitPolicy = policy
        return copied

    return statement_with(ctx.root_of(clause), {id(clause): changed})


def lock_fix(ctx: RuleContext, clause) -> str:
    select = ctx.parent_of(clause)
    locked = [sql_of(r) for r in clause.lockedRels or ()] or relation_names(select)
    rows = f"rows of {spoken_list(locked)}" if locked else "these rows"
    skip, nowait = (_with_policy(ctx, clause, p) for p in (LockWaitPolicy.LockWaitSkip, LockWaitPolicy.LockWaitError))
    queue = getattr(select, "limitCount", None) is not None
    first, second = (
        (
            f"A worker taking {rows} off a queue skips the ones another holds",
            "a request that must not wait fails at once",
        )
        if queue
        else (f"A request reading {rows} fails at once instead of waiting", "a queue worker skips locked rows")
    )
    first_sql, second_sql = (skip, nowait) if queue else (nowait, skip)
    return (
        f"{first}: {code(first_sql)}; {second}: {code(second_sql)} (or keep waiting, bounded by "
        f"{code(LOCK_TIMEOUT)}, and retry)."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for clause in ctx.of(ast.LockingClause):
        if clause.waitPolicy == LockWaitPolicy.LockWaitBlock:
            where = next((w for w in (ctx.token_span("FOR", k) for k in ("UPDATE", "SHARE", "NO", "KEY")) if w), None)
            message = "Row lock waits indefinitely for concurrent holders."
            out.append(ctx.finding(None, message, fix=lock_fix(ctx, clause), location=where))
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
