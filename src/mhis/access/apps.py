from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "mhis.access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from . import recordkinds

        recordkinds.declare()
        from mhis.places.models import Place

        from .models import Role
        from .policy import register_scope
        from .services import in_scope

        register_scope(Place, in_scope)

        from django.db.models.signals import post_migrate

        from .versions import after_migrate

        post_migrate.connect(after_migrate, sender=self)

        unknown = sorted(set(settings.MHIS_TWO_FACTOR_ROLES) - set(Role.values))
        if unknown:
            raise ImproperlyConfigured(
                f"MHIS_TWO_FACTOR_ROLES: unknown role(s) {', '.join(unknown)}; "
                f"choose from {', '.join(Role.values)}."
            )
