from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """Migration history only: workflow's models moved to the audit, notifications and approvals apps.

    Databases migrated before the move recorded workflow's migrations; its 0004 hands the models
    over (state only, the tables stay). Remove this app once every database is past workflow 0004
    and the migrations are squashed.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "workflow"
