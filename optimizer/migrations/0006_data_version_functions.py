from django.db import migrations

from dbooster.migration_ops import data_version_function_triggers


class Migration(migrations.Migration):
    """The data version triggers call a function of their table's own, whose statement PostgreSQL plans once per
    session, instead of the shared one that composes and plans its statement at every write."""

    dependencies = [("optimizer", "0005_redundant_run_indexes")]

    operations = [
        data_version_function_triggers("optimization_runs", "counts", "organization_id", name="counts_version"),
        data_version_function_triggers(
            "optimization_suggestions",
            "counts",
            "run_id",
            through=("optimization_runs", "organization_id"),
            name="counts_version",
        ),
    ]
