"""The rate-limit counters' table is UNLOGGED: no write-ahead log per hit (a crash empties it, which only
resets the windows), so counting a request costs no disk flush."""

from django.conf import settings
from django.db import migrations


def set_unlogged(apps, schema_editor):
    cache = settings.CACHES.get("ratelimit", {})
    if not cache.get("BACKEND", "").endswith("DatabaseCache"):
        return
    table = schema_editor.connection.ops.quote_name(cache["LOCATION"])
    schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_cache_tables")]

    operations = [migrations.RunPython(set_unlogged, migrations.RunPython.noop)]
