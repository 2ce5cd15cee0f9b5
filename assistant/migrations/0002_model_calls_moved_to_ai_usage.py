# The assistant's model calls move to ai_usage, where the optimizer's are recorded too: one counter for the
# plan's AI limit. Rows are copied as they are, then the assistant's table is dropped.

from django.db import migrations

FIELDS = ("organization_id", "project_id", "purpose", "request", "model", "prompt_tokens", "completion_tokens",
          "cost_usd", "elapsed_ms", "ok", "error", "created_at")  # fmt: skip


def copy_calls(apps, schema_editor):
    old = apps.get_model("assistant", "ModelCall")
    new = apps.get_model("ai_usage", "ModelCall")
    batch = []
    for row in old.objects.order_by("id").values(*FIELDS).iterator(chunk_size=2000):
        batch.append(new(**row))
        if len(batch) >= 2000:
            new.objects.bulk_create(batch)
            batch = []
    new.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    old = apps.get_model("assistant", "ModelCall")
    new = apps.get_model("ai_usage", "ModelCall")
    rows = new.objects.exclude(purpose="optimizer").order_by("id").values(*FIELDS)
    old.objects.bulk_create([old(**row) for row in rows])


class Migration(migrations.Migration):
    dependencies = [
        ("assistant", "0001_initial"),
        ("ai_usage", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_calls, copy_back),
        migrations.DeleteModel(name="ModelCall"),
    ]
