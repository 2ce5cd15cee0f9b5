from django.db import migrations

from dbooster.migration_ops import data_version_triggers


class Migration(migrations.Migration):
    """Every committed change to what the dashboard counts raises the organization's counts version
    (dashboard.cache): the counts kept in the shared cache are read again on the next request."""

    dependencies = [("projects", "0003_project_data_versions"), ("dbooster", "0002_counts_scope")]

    operations = [
        data_version_triggers("projects", "counts", "organization_id", name="counts_version"),
    ]
