from django.db import migrations

from dbooster.migration_ops import data_version_function_triggers


class Migration(migrations.Migration):
    """A change to a database connection raises its organization's data version (as a change to a project does):
    what `optimizer.selectors` keeps of a user's current project and its default connection is then read again."""

    dependencies = [("schema_metadata", "0005_data_version_functions")]

    operations = [
        data_version_function_triggers(
            "database_connections",
            "org",
            "project_id",
            through=("projects", "organization_id"),
            replacing_shared=False,
        ),
    ]
