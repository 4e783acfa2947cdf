from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortableConfig(AppConfig):
    name = "mhis.portable"
    verbose_name = _("Portable health record")

    def ready(self) -> None:
        from mhis import events
        from mhis.registry.banner import BANNER_PARTS
        from mhis.registry.views import PERSON_PAGE_PARTS

        from . import links, recordkinds, services

        recordkinds.declare()
        # A change of a person's consents ends their links in the same transaction.
        events.subscribe(links.consents_changed, at_once=True)
        # The person page lists the summaries received for them.
        PERSON_PAGE_PARTS["received"] = services.received_summaries
        # The patient banner shows the allergies other providers recorded.
        BANNER_PARTS["allergies"] = services.received_allergies
