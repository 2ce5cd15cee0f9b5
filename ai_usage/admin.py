from django.contrib import admin

from ai_usage.models import ModelCall


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "purpose", "model", "prompt_tokens", "completion_tokens", "cost_usd", "ok",
                    "created_at"]  # fmt: skip
    list_filter = ["purpose", "ok"]
    readonly_fields = [f.name for f in ModelCall._meta.fields]
