from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "mhis.response"
    label = "response"
    verbose_name = _("Outbreak response")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Overdue response actions are escalated by the same hourly job as overdue alerts.
        from mhis.surveillance import owners

        from . import services

        if services.escalate_actions not in owners.ALSO_ESCALATE:
            owners.ALSO_ESCALATE.append(services.escalate_actions)
