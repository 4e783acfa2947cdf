from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "mhis.programmes"
    verbose_name = _("Programmes and portfolio")

    def ready(self):
        from mhis.access.policy import register_scope

        from .models import Event, Project
        from .services import in_places

        register_scope(Project, in_places)
        register_scope(Event, in_places)
