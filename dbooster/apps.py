from django.apps import AppConfig
from django.db.backends.signals import connection_created

from dbooster import db_adapters, json_types


class DboosterConfig(AppConfig):
    name = "dbooster"
    verbose_name = "DBooster"

    def ready(self):
        json_types.install()
        connection_created.connect(db_adapters.use_fast_timestamptz_loader)
