from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtectionConfig(AppConfig):
    name = "mhis.protection"
    verbose_name = _("Social health protection")

    def ready(self) -> None:
        from . import recordkinds

        recordkinds.declare()
