"""Migration operations shared by the apps' migrations (kept as they are: a migration must replay the same)."""

from django.db import migrations


def data_version_triggers(table: str, scope: str, column: str) -> migrations.RunSQL:
    """Triggers that raise the data version (`dbooster.models.DataVersion`) of scope `scope`, keyed by `column`, on
    every committed change to `table` (see `dbooster.page_cache`): one per kind of statement, each passing the
    changed rows (and an UPDATE's rows as they were) to `dbooster_bump_data_versions`."""
    bump = f"FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('{scope}', '{column}')"
    forward = f"""
CREATE TRIGGER {table}_data_version_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed_rows {bump};
CREATE TRIGGER {table}_data_version_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows {bump};
CREATE TRIGGER {table}_data_version_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed_rows {bump};
"""
    backward = "".join(
        f"DROP TRIGGER {table}_data_version_{kind} ON {table};\n" for kind in ("insert", "update", "delete")
    )
    return migrations.RunSQL(forward, backward)
