from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "mhis.registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from . import recordkinds

        recordkinds.declare()
        from mhis.access.policy import register_scope

        from .models import Person
        from .search import person_in_scope

        register_scope(Person, person_in_scope)
