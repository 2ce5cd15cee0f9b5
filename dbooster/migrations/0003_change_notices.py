"""A trigger function that announces a change on the channel its trigger names (TG_ARGV[0]), for the processes
that keep rows in memory until one (`dbooster.notified_cache`). NOTIFY is delivered only when the transaction
commits, and once per transaction and channel however many statements sent it."""

from django.db import migrations

NOTICE_FUNCTION = r"""
CREATE FUNCTION dbooster_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("dbooster", "0002_counts_scope")]

    operations = [migrations.RunSQL(NOTICE_FUNCTION, "DROP FUNCTION dbooster_notify_change();")]
