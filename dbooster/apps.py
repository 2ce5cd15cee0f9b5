from django.apps import AppConfig

from dbooster import json_types


class DboosterConfig(AppConfig):
    name = "dbooster"
    verbose_name = "DBooster"

    def ready(self):
        json_types.install()
