# The plan's AI limit now counts ai_usage's model calls (the optimizer's and the assistant's). The optimizer's
# earlier runs that asked the model (not the cached answers) become calls there, on their own dates, so this
# month's count stays what it was. Their tokens were not recorded: 0.

import uuid

from django.db import migrations


def copy_runs(apps, schema_editor):
    run = apps.get_model("optimizer", "OptimizationRun")
    call = apps.get_model("ai_usage", "ModelCall")
    used = run.objects.filter(ai_status="used").exclude(ai_reason="cached answer").order_by("id")
    batch = []
    for row in used.values("organization_id", "project_id", "ai_model", "created_at").iterator(chunk_size=2000):
        if row["organization_id"] is None:
            continue
        batch.append(
            call(
                organization_id=row["organization_id"],
                project_id=row["project_id"],
                purpose="optimizer",
                request=uuid.uuid4(),
                model=row["ai_model"] or "",
                created_at=row["created_at"],
            )
        )
        if len(batch) >= 2000:
            call.objects.bulk_create(batch)
            batch = []
    call.objects.bulk_create(batch)


def remove_copies(apps, schema_editor):
    apps.get_model("ai_usage", "ModelCall").objects.filter(purpose="optimizer", prompt_tokens=0).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("optimizer", "0001_initial"),
        ("ai_usage", "0001_initial"),
    ]

    operations = [migrations.RunPython(copy_runs, remove_copies)]
