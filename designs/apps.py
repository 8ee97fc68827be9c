from django.apps import AppConfig


class DesignsConfig(AppConfig):
    name = "designs"
    verbose_name = "Easel"

    def ready(self) -> None:
        from designs import checks

        checks.warn_at_start()
