from django.db import migrations

from dbooster.migration_ops import data_version_triggers


class Migration(migrations.Migration):
    """Every committed change to projects raises its organization's data version (dbooster.page_cache): GET
    /projects answers from a worker's memory only while the version it was answered at is still the current one."""

    dependencies = [("projects", "0002_current_project"), ("dbooster", "0001_data_versions")]

    operations = [data_version_triggers("projects", "org", "organization_id")]
