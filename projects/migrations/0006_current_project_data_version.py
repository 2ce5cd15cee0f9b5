from django.db import migrations

from dbooster.migration_ops import data_version_function_triggers


class Migration(migrations.Migration):
    """A user's choice of project raises their data version: what `optimizer.selectors` keeps of their current
    project and its default connection is then read again (with schema_metadata 0006 for the connections)."""

    dependencies = [("projects", "0005_data_version_functions")]

    operations = [
        data_version_function_triggers("projects_current", "user", "user_id", replacing_shared=False),
    ]
