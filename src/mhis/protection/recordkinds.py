"""The social health protection record kinds (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register


def declare() -> None:
    register(
        RecordKind("enrolment", "protection.Enrolment", _("Enrolment"), date_field="start_date",
                   on_timeline=True, related=("site", "scheme")),
    )  # fmt: skip
