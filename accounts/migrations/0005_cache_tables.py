"""The tables of the database caches (CACHES: `default` and `ratelimit`), so `migrate` is the only set-up step.

`createcachetable` skips tables that exist and caches that are not database caches (Redis).
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_email_verification_sessions")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
