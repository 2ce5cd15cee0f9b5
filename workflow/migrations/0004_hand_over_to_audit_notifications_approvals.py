"""workflow's models moved to the audit, notifications and approvals apps.

State only: the tables stay as they are, with their rows and the audit log's trigger; the new apps'
0001 migrations took them over. Content types follow the models, so admin history and permissions
granted on them keep pointing at the right model.
"""

from django.db import migrations

MOVED = {
    "auditevent": "audit",
    "notification": "notifications",
    "notificationpreference": "notifications",
    "proposal": "approvals",
    "proposalevent": "approvals",
    "applyattempt": "approvals",
}


def _relabel(apps, *, forward: bool) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model, new_label in MOVED.items():
        old, new = ("workflow", new_label) if forward else (new_label, "workflow")
        if content_type.objects.filter(app_label=new, model=model).exists():
            continue  # already created for the new app (e.g. by a post-migrate run): keep that one
        content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor):
    _relabel(apps, forward=True)


def content_types_backward(apps, schema_editor):
    _relabel(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0003_proposals"),
        ("audit", "0001_initial"),
        ("notifications", "0001_initial"),
        ("approvals", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ApplyAttempt"),
                migrations.DeleteModel(name="ProposalEvent"),
                migrations.DeleteModel(name="Proposal"),
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="AuditEvent"),
            ]
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
