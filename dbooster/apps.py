from django.apps import AppConfig
from django.db.backends.signals import connection_created

from dbooster import json_types, rows


class DboosterConfig(AppConfig):
    name = "dbooster"
    verbose_name = "DBooster"

    def ready(self):
        json_types.install()
        connection_created.connect(rows.load_timestamps_in_c, dispatch_uid="dbooster.rows.load_timestamps_in_c")
