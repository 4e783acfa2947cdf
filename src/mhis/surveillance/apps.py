from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveillanceConfig(AppConfig):
    name = "mhis.surveillance"
    verbose_name = _("Surveillance")

    def ready(self):
        from mhis.work import schedule

        from . import tasks

        tasks.check_schedules()
        schedule.register(tasks.scheduled)
