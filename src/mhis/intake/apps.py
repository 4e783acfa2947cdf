from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "mhis.intake"
    verbose_name = _("Data capture and import")

    def ready(self):
        from . import recordkinds

        recordkinds.declare()
