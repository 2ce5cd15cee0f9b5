from django.db import migrations

from dbooster.migration_ops import data_version_triggers


class Migration(migrations.Migration):
    """Every committed change to notifications raises its recipient's data version (dbooster.page_cache): GET
    /notifications answers from a worker's memory only while the version it was answered at is still the current
    one."""

    dependencies = [("notifications", "0001_initial"), ("dbooster", "0001_data_versions")]

    operations = [data_version_triggers("notifications", "user", "recipient_id")]
