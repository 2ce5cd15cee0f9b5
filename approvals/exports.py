"""Approved changes as files a team ships: a SQL migration, a Django migration, a code patch.

Plain module: text in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbooster.errors import Unprocessable

# The scanner keeps each code line around a query cut at this many characters.
CONTEXT_LINE_CHARS = 200


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: str


def _comment_block(lines: list[str], prefix: str) -> str:
    out = []
    for line in lines:
        for part in (line or "").splitlines() or [""]:
            out.append(f"{prefix} {part}".rstrip())
    return "\n".join(out)


def _terminated(statement: str) -> str:
    statement = statement.strip()
    return statement if statement.endswith(";") else statement + ";"


def sql_migration(
    *,
    proposal_id: int,
    header: list[str],
    statements: list[str],
    concurrent_index: bool,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
) -> ExportFile:
    """A plain SQL file. An index build runs outside a transaction; other DDL inside one."""
    parts = [_comment_block(header, "--"), ""]
    if concurrent_index:
        parts += [
            "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block: run this file as is",
            "-- (psql -f), not wrapped in BEGIN/COMMIT. If the build fails it leaves an INVALID index:",
            "-- find it with  SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;",
            "-- and drop it with DROP INDEX CONCURRENTLY before retrying.",
            f"SET lock_timeout = '{int(lock_timeout_ms)}ms';",
            f"SET statement_timeout = '{int(statement_timeout_ms)}ms';",
            "",
            *[_terminated(s) for s in statements],
        ]
    else:
        parts += [
            "BEGIN;",
            f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms';",
            f"SET LOCAL statement_timeout = '{int(statement_timeout_ms)}ms';",
            "",
            *[_terminated(s) for s in statements],
            "",
            "COMMIT;",
        ]
    return ExportFile(f"dbooster_proposal_{proposal_id}.sql", "application/sql; charset=utf-8", "\n".join(parts) + "\n")


def django_migration(
    *,
    proposal_id: int,
    header: list[str],
    statements: list[str],
    reverse_statements: list[str] | None,
    concurrent_index: bool,
    lock_timeout_ms: int,
) -> ExportFile:
    """A Django migration with RunSQL. Its `dependencies` must be set to the app's latest migration."""
    forward = [_terminated(s) for s in statements]
    if not concurrent_index:
        forward.insert(0, f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms';")
    lines = [
        _comment_block(header, "#"),
        "#",
        "# Put this file in your app's migrations/ folder, rename it to follow the last migration",
        "# (e.g. 0042_dbooster_proposal.py) and set `dependencies` to that migration.",
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
    ]
    if concurrent_index:
        lines += [
            "    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.",
            "    atomic = False",
            "",
        ]
    lines += [
        "    dependencies = [",
        '        # ("yourapp", "0041_previous"),',
        "    ]",
        "",
        "    operations = [",
        "        migrations.RunSQL(",
        f"            sql={forward!r},",
    ]
    if reverse_statements:
        lines.append(f"            reverse_sql={[_terminated(s) for s in reverse_statements]!r},")
    else:
        lines.append("            # No automatic reverse for this change: write one if you need to roll it back.")
        lines.append("            reverse_sql=migrations.RunSQL.noop,")
    lines += ["        ),", "    ]", ""]
    return ExportFile(f"dbooster_proposal_{proposal_id}.py", "text/x-python; charset=utf-8", "\n".join(lines))


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


def rewrite_patch(
    *,
    proposal_id: int,
    file_path: str,
    line: int,
    context: str,
    context_start: int,
    original: str,
    replacement: str,
) -> ExportFile:
    """A unified diff that replaces `original` with `replacement` in the lines around `line`.

    We never read the repository itself: the hunk is built from the code lines the scan stored
    around the query (a few lines, each cut at 200 characters). When the original text is not
    found there verbatim (a string split over many lines, placeholders the scanner rewrote, a
    line cut short), no honest patch can be made and Unprocessable says so, with the SQL to
    paste by hand.
    """
    lines = context.split("\n")
    block = "\n".join(lines)
    candidates = [original, original.strip()]
    found_at, needle = -1, ""
    # Look from the query's own line first: the same text may repeat in the context.
    offset_of_line = sum(len(x) + 1 for x in lines[: max(0, line - context_start)])
    for candidate in candidates:
        if not candidate:
            continue
        found_at = block.find(candidate, offset_of_line)
        if found_at < 0:
            found_at = block.find(candidate)
        if found_at >= 0:
            needle = candidate
            break
    if found_at < 0:
        raise Unprocessable(
            f"The query's text was not found in the code stored around {file_path}:{line} (it may span more "
            "lines than the scan kept, or the scanner rewrote its placeholders). Replace it by hand with the "
            "rewritten SQL.",
            code="patch_context_unavailable",
            extra={"file": file_path, "line": line, "replacement_sql": replacement},
        )
    new_text = replacement.strip() if "\n" in needle else _one_line(replacement)
    new_block = block[:found_at] + new_text + block[found_at + len(needle) :]
    old_lines, new_lines = block.split("\n"), new_block.split("\n")
    if new_block == block:
        raise Unprocessable("The rewrite is the same text as the original query.", code="nothing_to_patch")
    old_lines, new_lines = block.split("\n"), new_block.split("\n")
    n_old, n_new = len(old_lines), len(new_lines)
    # Keep only the lines around the change, like a normal diff does (up to 3 lines of context).
    first = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b), min(n_old, n_new))
    tail = 0
    while tail < n_old - first and tail < n_new - first and old_lines[n_old - 1 - tail] == new_lines[n_new - 1 - tail]:
        tail += 1
    start = max(0, first - 3)
    old_end, new_end = n_old - tail, n_new - tail
    keep_after = min(3, tail)
    old_hunk = old_lines[start : old_end + keep_after]
    new_hunk = new_lines[start : new_end + keep_after]
    body = [" " + x for x in old_lines[start:first]]
    body += ["-" + x for x in old_lines[first:old_end]]
    body += ["+" + x for x in new_lines[first:new_end]]
    body += [" " + x for x in old_lines[old_end : old_end + keep_after]]
    hunk_start = context_start + start
    path = file_path.lstrip("/")
    header = [
        f"DBooster proposal #{proposal_id}: rewrite of the query at {file_path}:{line}.",
        "Built from the lines the scan stored, not from the file itself: check it applies",
        "(git apply --check) and that the string quoting still suits the language.",
    ]
    if any(len(x) >= CONTEXT_LINE_CHARS for x in old_hunk):
        header.append(
            f"Warning: a line here reached the {CONTEXT_LINE_CHARS} characters the scan keeps; it may be cut "
            "short, and then the patch will not apply."
        )
    content = "\n".join(
        [
            *header,
            "",
            f"--- a/{path}",
            f"+++ b/{path}",
            f"@@ -{hunk_start},{len(old_hunk)} +{hunk_start},{len(new_hunk)} @@",
            *body,
            "",
        ]
    )
    return ExportFile(f"dbooster_proposal_{proposal_id}.patch", "text/x-diff; charset=utf-8", content)
