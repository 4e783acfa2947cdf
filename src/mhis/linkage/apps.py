from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "mhis.linkage"
    verbose_name = _("Record linkage")

    def ready(self):
        from mhis.registry.duplicates import FINDERS
        from mhis.work import schedule

        from . import duplicates, recordkinds, tasks

        recordkinds.declare()
        schedule.register(tasks.scheduled)
        # Registration warns of people likely already registered, found by the model.
        FINDERS.append(duplicates.likely_for_registration)
