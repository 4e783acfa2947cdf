from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "mhis.maintenance"
    verbose_name = _("Maintenance")

    def ready(self):
        from mhis.work import schedule

        from . import tasks

        schedule.register(tasks.scheduled)
