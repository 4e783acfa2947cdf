from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "mhis.outreach"
    verbose_name = _("Outreach")

    def ready(self):
        from . import recordkinds

        recordkinds.declare()
