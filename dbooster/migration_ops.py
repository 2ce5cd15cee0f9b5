"""Migration operations shared by the apps' migrations (kept as they are: a migration must replay the same)."""

from django.db import migrations


def data_version_triggers(
    table: str, scope: str, column: str, *, through: tuple[str, str] | None = None, name: str = "data_version"
) -> migrations.RunSQL:
    """Triggers that raise the data version (`dbooster.models.DataVersion`) of scope `scope`, keyed by `column`, on
    every committed change to `table` (see `dbooster.page_cache`): one per kind of statement, each passing the
    changed rows (and an UPDATE's rows as they were) to `dbooster_bump_data_versions`.

    `through`: (parent table, its column) when `column` names a parent row (a project) and the key is the parent's
    column (its organization). `name`: the triggers' name, for a table with triggers of more than one scope.
    """
    args = ", ".join(f"'{arg}'" for arg in (scope, column, *(through or ())))
    forward = _data_version_trigger_sql(table, name, f"dbooster_bump_data_versions({args})")
    return migrations.RunSQL(forward, _drop_data_version_triggers(table, name))


def data_version_function_triggers(
    table: str,
    scope: str,
    column: str,
    *,
    through: tuple[str, str] | None = None,
    name: str = "data_version",
    replacing_shared: bool = True,
) -> migrations.RunSQL:
    """The triggers of `data_version_triggers(...)` (same names, same arguments, same rows added) made to call a
    function of the table's own, `dbooster_bump_<table>_<name>()`, whose statements name the columns.

    PostgreSQL plans a function's own statements once per session; the shared function composes its statement from
    its arguments and EXECUTE plans it again at every write, about 0.1 ms each time: a tenth of what storing an
    optimization costs the server. Reversed, the triggers call the shared function again; with
    `replacing_shared=False` (a table that had no such triggers before) they are made new, and reversed, dropped.
    """
    function = f"dbooster_bump_{table}_{name}"
    shared = data_version_triggers(table, scope, column, through=through, name=name).sql if replacing_shared else ""

    def insert(keys: str) -> str:
        if through:
            parent, parent_column = through
            keys = f"SELECT p.{parent_column} FROM {parent} AS p WHERE p.id IN ({keys})"
        return (
            f"INSERT INTO data_versions (scope, key, weight) SELECT '{scope}', c.key, 1"
            f" FROM ({keys}) AS c (key) WHERE c.key IS NOT NULL GROUP BY c.key;"
        )

    changed = f"SELECT {column} FROM changed_rows"
    dropped = _drop_data_version_triggers(table, name) if replacing_shared else ""
    forward = f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- A row moved to another key changes both.
        {insert(f"{changed} UNION SELECT {column} FROM old_rows")}
    ELSE
        {insert(changed)}
    END IF;
    RETURN NULL;
END
$$;
{dropped}{_data_version_trigger_sql(table, name, f"{function}()")}"""
    backward = f"{_drop_data_version_triggers(table, name)}DROP FUNCTION {function}();\n{shared}"
    return migrations.RunSQL(forward, backward)


def _data_version_trigger_sql(table: str, name: str, call: str) -> str:
    bump = f"FOR EACH STATEMENT EXECUTE FUNCTION {call}"
    return f"""
CREATE TRIGGER {table}_{name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed_rows {bump};
CREATE TRIGGER {table}_{name}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows {bump};
CREATE TRIGGER {table}_{name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed_rows {bump};
"""


def _drop_data_version_triggers(table: str, name: str) -> str:
    return "".join(f"DROP TRIGGER {table}_{name}_{kind} ON {table};\n" for kind in ("insert", "update", "delete"))


def change_notice_triggers(
    table: str, channel: str, *, name: str, inserts_when: str | None = None
) -> migrations.RunSQL:
    """A trigger that sends a notice on `channel` for every statement that changes `table` (TRUNCATE included),
    through `dbooster_notify_change` (dbooster 0003); see `dbooster.notified_cache`.

    `inserts_when`: a condition on NEW; an inserted row then announces itself only when it meets it (a trigger per
    row, for a table whose inserts mostly concern other readers). Updates, deletes and truncates always do.
    """
    notify = f"EXECUTE FUNCTION dbooster_notify_change('{channel}')"
    if inserts_when is None:
        forward = f"CREATE TRIGGER {table}_{name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
        forward += f" FOR EACH STATEMENT {notify};"
        return migrations.RunSQL(forward, f"DROP TRIGGER {table}_{name} ON {table};")
    forward = f"""
CREATE TRIGGER {table}_{name}_insert AFTER INSERT ON {table} FOR EACH ROW WHEN ({inserts_when}) {notify};
CREATE TRIGGER {table}_{name} AFTER UPDATE OR DELETE OR TRUNCATE ON {table} FOR EACH STATEMENT {notify};
"""
    backward = f"DROP TRIGGER {table}_{name}_insert ON {table};\nDROP TRIGGER {table}_{name} ON {table};\n"
    return migrations.RunSQL(forward, backward)
