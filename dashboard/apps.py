from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"

    def ready(self):
        # Signal receivers are connected once the app registry is ready (Django's documented place).
        from dashboard import receivers

        receivers.connect_all()
