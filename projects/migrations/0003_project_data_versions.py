from django.db import migrations

# Every committed change to projects raises its organization's data version (dbooster.page_cache): GET /projects
# answers from a worker's memory only while the version it was answered at is still the current one.
FORWARD = """
CREATE TRIGGER projects_data_version_insert AFTER INSERT ON projects REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('org', 'organization_id');
CREATE TRIGGER projects_data_version_update AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('org', 'organization_id');
CREATE TRIGGER projects_data_version_delete AFTER DELETE ON projects REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('org', 'organization_id');
"""
BACKWARD = """
DROP TRIGGER projects_data_version_insert ON projects;
DROP TRIGGER projects_data_version_update ON projects;
DROP TRIGGER projects_data_version_delete ON projects;
"""


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_current_project"), ("dbooster", "0001_data_versions")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
