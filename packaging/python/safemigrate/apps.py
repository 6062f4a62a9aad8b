from django.apps import AppConfig


class SafemigrateConfig(AppConfig):
    name = "safemigrate"
    label = "safemigrate"
    verbose_name = "safemigrate"
