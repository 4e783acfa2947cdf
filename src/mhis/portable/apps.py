from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortableConfig(AppConfig):
    name = "mhis.portable"
    verbose_name = _("Portable health record")

    def ready(self):
        from . import recordkinds

        recordkinds.declare()
