from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from allauth.socialaccount.signals import social_account_added

        from accounts.adapters import on_social_account_added

        social_account_added.connect(on_social_account_added, dispatch_uid="accounts.social_account_added")
