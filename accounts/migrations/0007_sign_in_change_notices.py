"""Every statement that changes what the sign-in statement reads (users, organizations, sign-in sessions, the data
versions of an organization or a user) sends a notice on `dbooster_sign_in` when it commits: the processes that keep
sign-in rows in memory (`accounts.selectors`, `dbooster.notified_cache`) forget them on hearing it."""

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
        *(
            change_notice_triggers(table, CHANNEL, name="sign_in_notice")
            for table in ("users", "organizations", "sign_in_sessions")
        ),
        # The sign-in reads the organization's and the user's versions, not the dashboard's counts: a stored
        # optimization or a scan's progress (scope `counts`) leaves the kept rows alone.
        change_notice_triggers(
            "data_versions", CHANNEL, name="sign_in_notice", inserts_when="NEW.scope IN ('org', 'user')"
        ),
    ]
