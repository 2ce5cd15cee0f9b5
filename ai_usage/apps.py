from django.apps import AppConfig


class AiUsageConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ai_usage"
    verbose_name = "AI usage"
