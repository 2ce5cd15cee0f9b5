from django.apps import AppConfig


class SchemaMetadataConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "schema_metadata"
