from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "mhis.indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from mhis import events

        from . import changes, services

        # Definitions are checked at start: a bad file stops the system with its name and field.
        services.catalogue()
        events.subscribe(changes.changed)
