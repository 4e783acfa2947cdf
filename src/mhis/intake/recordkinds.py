"""What of an import stays with a person's record, or follows it (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register, stays


def declare() -> None:
    # A source's key reaches the survivor after a merge, so a re-import updates its records.
    register(RecordKind("source_record", "intake.SourceRecord", _("Imported source record")))
    stays("intake.RowResult", "person", "the outcome of an import row, as it was")
