from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "mhis.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from . import recordkinds

        recordkinds.declare()
