"""Every statement that changes what the sign-in statement reads (users, organizations, sign-in sessions, data
versions) sends a notice on `dbooster_sign_in` when it commits: the processes that keep sign-in rows in memory
(`accounts.selectors`, `dbooster.notified_cache`) forget them on hearing it."""

from django.db import migrations

from dbooster.migration_ops import change_notice_triggers

CHANNEL = "dbooster_sign_in"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_rate_limit_table_unlogged"),
        ("organizations", "0001_initial"),
        ("dbooster", "0003_change_notices"),
    ]

    operations = [
        change_notice_triggers(table, CHANNEL, name="sign_in_notice")
        for table in ("users", "organizations", "sign_in_sessions", "data_versions")
    ]
