"""The dashboard's counts, kept in the cache every worker shares while nothing they count has changed.

Every committed change to a counted row (a project, a connection, a scan and its queries, a health run, an
optimization and its suggestions, a proposal) raises the organization's counts version in the same transaction:
PostgreSQL's `dbooster_bump_data_versions` triggers (`dbooster.models.DataVersion`, scope "counts"), so a bulk
insert, a raw statement or another process's write is counted as a save is, and a writer sends nothing after its
commit. The counts are kept under a key that holds the version; a change makes the next read miss and count again,
and the old entries are never read again and expire.

Never older than the data: the version is read before the counts (an earlier statement, an earlier snapshot), so
counts kept under version V were counted at V or later.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from dbooster.models import DataVersion

COUNTS_TTL_S = 300  # a bound on how long an entry lives; correctness comes from the version, not from this

_VERSION = "SELECT COALESCE(sum(weight), 0) FROM data_versions WHERE scope = %s AND key = %s"


def version(org_id: int) -> int:
    """The organization's counts version: it rises with every committed change to what the counts count."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION, [DataVersion.Scope.COUNTS, org_id])
        return int(cursor.fetchone()[0])


def cached_counts(org_id: int, scope: str, compute) -> dict:
    """`compute()` once per version of the organization's counts; `scope` tells the dashboard and a project apart."""
    key = f"dashboard:counts:{org_id}:{scope}:{version(org_id)}"
    counts = cache.get(key)
    if counts is None:
        counts = compute()
        cache.set(key, counts, timeout=COUNTS_TTL_S)
    return counts
