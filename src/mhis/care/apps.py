from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "mhis.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from mhis.registry.banner import BANNER_PARTS

        from . import banner, recordkinds

        recordkinds.declare()
        # The patient banner shows the flags raised on the person's assessments.
        BANNER_PARTS["alerts"] = banner.assessment_flags
