from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "mhis.indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        # Definitions are checked at start: a bad file stops the system with its name and field.
        from . import services, signals  # noqa: F401

        services.catalogue()
