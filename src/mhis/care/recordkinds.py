"""The care record kinds (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register


def declare() -> None:
    register(
        RecordKind("encounter", "care.Encounter", _("Encounter"), date_field="date",
                   indicators="encounter", on_timeline=True, related=("site",),
                   prefetch=("diagnoses", "payments")),
        RecordKind("referral", "care.Referral", _("Referral"), date_field="sent_on",
                   indicators="referral", on_timeline=True, related=("site", "to_site"),
                   prefetch=("steps",)),
        RecordKind("assessment", "care.Assessment", _("Health assessment"), date_field="date",
                   indicators="assessment", on_timeline=True, related=("site",),
                   prefetch=("specimens",)),
        RecordKind("immunisation", "care.Immunisation", _("Immunisation"), date_field="date",
                   indicators="immunisation", on_timeline=True, related=("site",)),
        RecordKind("lab_result", "care.LabResult", _("Lab result"), date_field="collected_on",
                   on_timeline=True, related=("site",)),
        # The history of changes goes with the records it describes.
        RecordKind("record_change", "care.RecordChange", _("Change to a record")),
    )  # fmt: skip
