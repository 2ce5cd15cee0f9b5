from django.db import migrations

from dbooster.migration_ops import data_version_function_triggers


class Migration(migrations.Migration):
    """The data version triggers call a function of their table's own, whose statement PostgreSQL plans once per
    session, instead of the shared one that composes and plans its statement at every write."""

    dependencies = [("repositories", "0003_counts_version")]

    operations = [
        data_version_function_triggers(
            "extracted_queries", "counts", "project_id", through=("projects", "organization_id"), name="counts_version"
        ),
        data_version_function_triggers(
            "scan_runs", "counts", "project_id", through=("projects", "organization_id"), name="counts_version"
        ),
    ]
