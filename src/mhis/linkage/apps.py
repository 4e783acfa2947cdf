from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "mhis.linkage"
    verbose_name = _("Record linkage")

    def ready(self):
        from mhis.work import schedule

        from . import recordkinds, tasks

        recordkinds.declare()
        schedule.register(tasks.scheduled)
