"""The outreach record kinds about a person (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register


def declare() -> None:
    register(
        RecordKind(
            "contact",
            "outreach.Contact",
            _("Outreach contact"),
            date_field="date",
            site_fields=("site",),
        ),
    )
