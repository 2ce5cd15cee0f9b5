from django.db import migrations, models

# Adds a row of weight 1 for each organization or user whose rows a statement changed (see dbooster.models and
# dbooster.page_cache). One function for every table: TG_ARGV[0] is the scope ('org' or 'user'), TG_ARGV[1] the
# column naming the key. Statement-level triggers pass the changed rows as the transition table `changed_rows`
# (and an UPDATE's rows as they were before as `old_rows`: a row moved to another organization changes both).
# Inserts only: no writer ever waits for another's lock.
BUMP_FUNCTION = r"""
CREATE FUNCTION dbooster_bump_data_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := format('SELECT %1$I AS key FROM changed_rows', TG_ARGV[1]);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        changed := changed || format(' UNION SELECT %1$I FROM old_rows', TG_ARGV[1]);
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
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope", models.CharField(choices=[("org", "Organization"), ("user", "User")], max_length=8)),
                ("key", models.BigIntegerField()),
                ("weight", models.BigIntegerField(default=1)),
            ],
            options={
                "db_table": "data_versions",
                "indexes": [
                    models.Index(fields=["scope", "key"], include=["weight"], name="data_version_scope_key")
                ],
            },
        ),
        migrations.RunSQL(BUMP_FUNCTION, "DROP FUNCTION dbooster_bump_data_versions()"),
    ]
