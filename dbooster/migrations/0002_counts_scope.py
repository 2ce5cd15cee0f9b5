import importlib

from django.db import migrations, models

# The function as 0001 made it: what this migration's reverse puts back.
BEFORE = importlib.import_module("dbooster.migrations.0001_data_versions").BUMP_FUNCTION.replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
)

# As 0001's, and a table keyed by its parent: with TG_ARGV[2] and TG_ARGV[3] (a parent table and its column), the
# changed rows' TG_ARGV[1] names parent rows and the key is their TG_ARGV[3] (a connection's project_id names a
# project; the key is the project's organization_id). A parent deleted in the same statement gives no key; its own
# triggers raise its version.
BUMP_FUNCTION = r"""
CREATE OR REPLACE FUNCTION dbooster_bump_data_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := format('SELECT %1$I AS key FROM changed_rows', TG_ARGV[1]);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        changed := changed || format(' UNION SELECT %1$I FROM old_rows', TG_ARGV[1]);
    END IF;
    IF TG_NARGS > 2 THEN
        changed := format('SELECT p.%1$I AS key FROM %2$I p WHERE p.id IN (%3$s)', TG_ARGV[3], TG_ARGV[2], changed);
    END IF;
    EXECUTE format(
        'INSERT INTO data_versions (scope, key, weight) SELECT %L, c.key, 1 FROM (%s) c
          WHERE c.key IS NOT NULL GROUP BY c.key',
        TG_ARGV[0], changed);
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("dbooster", "0001_data_versions")]

    operations = [
        migrations.AlterField(
            model_name="dataversion",
            name="scope",
            field=models.CharField(
                choices=[("org", "Organization"), ("user", "User"), ("counts", "Counts")], max_length=8
            ),
        ),
        migrations.RunSQL(BUMP_FUNCTION, BEFORE),
    ]
