from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Receivers connect once the app registry is ready (Django's documented place), hence the late imports.
        from allauth.socialaccount.signals import social_account_added

        from accounts.adapters import on_social_account_added

        social_account_added.connect(on_social_account_added, dispatch_uid="accounts.social_account_added")
