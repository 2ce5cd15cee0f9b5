from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "approvals"

    def ready(self):
        # Signal receivers are connected once the app registry is ready (Django's documented place).
        from approvals import receivers

        receivers.connect_all()
