"""The data version triggers' own functions (`migration_ops.data_version_function_triggers`): every trigger calls
one whose statement names its columns, and each adds the same rows the shared function adds."""

from __future__ import annotations

import pytest
from django.db import connection

from dbooster.migration_ops import data_version_function_triggers, data_version_triggers

SHARED = "dbooster_bump_data_versions"


def triggers_calling(function_pattern: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.tgrelid::regclass::text, t.tgname
            FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND p.proname LIKE %s
            ORDER BY 1, 2
            """,
            [function_pattern],
        )
        return cursor.fetchall()


@pytest.mark.django_db
def test_no_trigger_composes_its_statement_at_every_write():
    assert triggers_calling(SHARED) == []
    own = triggers_calling("dbooster\\_bump\\_%")
    tables = {table for table, _ in own}
    assert {"projects", "optimization_runs", "optimization_suggestions", "notifications", "health_runs"} <= tables
    assert {"projects_current", "database_connections"} <= tables  # projects 0006, schema_metadata 0006
    assert len(own) == 3 * 12  # twelve sets of triggers (insert, update, delete) on ten tables


# --- the same rows as the shared function, on tables of the test's own ------------------------------------------


def versions() -> list[tuple[str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT scope, key, sum(weight)::int FROM data_versions WHERE key < 0 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return cursor.fetchall()


def run(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


WRITES = [
    "INSERT INTO t_parent VALUES (1, -10), (2, -20), (3, NULL)",
    "INSERT INTO t_child (parent_id) VALUES (1), (1), (2)",
    "INSERT INTO t_child (parent_id) VALUES (3), (NULL)",  # no key: nothing raised
    "UPDATE t_child SET parent_id = 2 WHERE parent_id = 1",  # moved: both raised
    "UPDATE t_parent SET organization_id = -30 WHERE id = 2",
    "UPDATE t_child SET parent_id = parent_id WHERE false",  # no row changed: nothing raised
    "DELETE FROM t_child WHERE parent_id = 2",
    "DELETE FROM t_parent WHERE id = 1",
]


def rows_after_writes(*, own_functions: bool) -> list[list[tuple[str, int, int]]]:
    """The versions after each of WRITES, the triggers made as the migrations make them."""
    run("CREATE TABLE t_parent (id int PRIMARY KEY, organization_id bigint)")
    run("CREATE TABLE t_child (id serial PRIMARY KEY, parent_id int)")
    triggers = [
        (("t_parent", "org", "organization_id"), {}),
        (("t_child", "counts", "parent_id"), {"through": ("t_parent", "organization_id"), "name": "counts"}),
    ]
    for args, options in triggers:
        run(data_version_triggers(*args, **options).sql)
        if own_functions:
            run(data_version_function_triggers(*args, **options).sql)
    seen = []
    for statement in WRITES:
        run(statement)
        seen.append(versions())
    return seen


@pytest.mark.django_db
def test_each_write_raises_what_the_shared_function_raises():
    run("SAVEPOINT shared")
    shared = rows_after_writes(own_functions=False)
    run("ROLLBACK TO SAVEPOINT shared")
    own = rows_after_writes(own_functions=True)
    assert triggers_calling("dbooster\\_bump\\_t\\_%") != []
    assert own == shared
    # Written out, so the comparison is not between two empty lists: (scope, key, weight) after each write.
    org = [("org", -20, 1), ("org", -10, 1)]
    counts = [("counts", -20, 1), ("counts", -10, 1)]
    moved = [("counts", -20, 2), ("counts", -10, 2)]
    renamed = [("org", -30, 1), ("org", -20, 2), ("org", -10, 1)]
    assert own == [
        org,
        counts + org,
        counts + org,  # no key: nothing raised
        moved + org,  # a child moved from one parent to another: both raised
        moved + renamed,  # a parent moved to another organization: both raised
        moved + renamed,  # no row changed: nothing raised
        [("counts", -30, 1), *moved, *renamed],  # the deleted children's parent, as it is now
        [("counts", -30, 1), *moved, ("org", -30, 1), ("org", -20, 2), ("org", -10, 2)],
    ]


@pytest.mark.django_db
def test_reversed_the_triggers_call_the_shared_function_again():
    run("CREATE TABLE t_parent (id int PRIMARY KEY, organization_id bigint)")
    run(data_version_triggers("t_parent", "org", "organization_id").sql)
    own = data_version_function_triggers("t_parent", "org", "organization_id")
    run(own.sql)
    assert [name for table, name in triggers_calling("dbooster\\_bump\\_t\\_parent%")] == [
        "t_parent_data_version_delete",
        "t_parent_data_version_insert",
        "t_parent_data_version_update",
    ]
    run(own.reverse_sql)
    assert [table for table, _ in triggers_calling(SHARED) if table == "t_parent"] == ["t_parent"] * 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'dbooster_bump_t_parent_data_version'")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db
def test_triggers_made_new_are_dropped_when_reversed():
    run("CREATE TABLE t_parent (id int PRIMARY KEY, organization_id bigint)")
    new = data_version_function_triggers("t_parent", "org", "organization_id", replacing_shared=False)
    run(new.sql)
    run("INSERT INTO t_parent VALUES (1, -10)")
    assert versions() == [("org", -10, 1)]
    run(new.reverse_sql)
    assert [table for table, _ in triggers_calling("%") if table == "t_parent"] == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'dbooster_bump_t_parent_data_version'")
        assert cursor.fetchone() == (0,)
    run("INSERT INTO t_parent VALUES (2, -20)")
    assert versions() == [("org", -10, 1)]  # nothing raised any more
