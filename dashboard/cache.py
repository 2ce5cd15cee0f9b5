"""The dashboard's counts, cached in the cache every worker shares and invalidated by the writes that change them.

Each organization has a version token in the cache; the counts are stored under a key that includes it. A write
that changes a count (a project, a connection, a scan's queries, a health run, a suggestion, a proposal) replaces
the token once its transaction commits (dashboard.receivers), so the next read misses and counts again; the old
entries are never read again and expire. No count is ever older than the last committed write.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

COUNTS_TTL_S = 300  # a bound on how long an entry lives; correctness comes from the version, not from this


def _version_key(org_id: int) -> str:
    return f"dashboard:version:{org_id}"


def version(org_id: int) -> str:
    token = cache.get(_version_key(org_id))
    if token is None:
        token = uuid.uuid4().hex
        # add(): two first readers agree on one token; a concurrent bump wins over both.
        if not cache.add(_version_key(org_id), token, timeout=None):
            token = cache.get(_version_key(org_id)) or token
    return token


def bump(org_id: int | None) -> None:
    """The organization's dashboard counts changed: after the commit, the next read counts again.

    The token is deleted, not replaced: the next reader makes a new one (`version`). A delete is one statement;
    a set in the database cache is five (a transaction, a count of the whole table to cull it, a read, a write),
    paid by every write the dashboard counts (each POST /query/optimize).
    """
    if org_id is None:
        return
    transaction.on_commit(lambda: cache.delete(_version_key(org_id)))


def cached_counts(org_id: int, scope: str, compute) -> dict:
    """`compute()` once per version of the organization's counts; `scope` tells the dashboard and a project apart."""
    key = f"dashboard:counts:{org_id}:{scope}:{version(org_id)}"
    counts = cache.get(key)
    if counts is None:
        counts = compute()
        cache.set(key, counts, timeout=COUNTS_TTL_S)
    return counts
