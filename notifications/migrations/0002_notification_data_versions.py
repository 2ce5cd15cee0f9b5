from django.db import migrations

# Every committed change to notifications raises its recipient's data version (dbooster.page_cache): GET
# /notifications answers from a worker's memory only while the version it was answered at is still the current one.
FORWARD = """
CREATE TRIGGER notifications_data_version_insert AFTER INSERT ON notifications REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('user', 'recipient_id');
CREATE TRIGGER notifications_data_version_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('user', 'recipient_id');
CREATE TRIGGER notifications_data_version_delete AFTER DELETE ON notifications REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dbooster_bump_data_versions('user', 'recipient_id');
"""
BACKWARD = """
DROP TRIGGER notifications_data_version_insert ON notifications;
DROP TRIGGER notifications_data_version_update ON notifications;
DROP TRIGGER notifications_data_version_delete ON notifications;
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("dbooster", "0001_data_versions")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
