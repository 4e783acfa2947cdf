"""The portable record's kinds (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register, stays


def declare() -> None:
    register(
        RecordKind("received_summary", "portable.ReceivedSummary", _("Received summary")),
        RecordKind("received_item", "portable.ReceivedItem", _("Received item")),
    )
    stays(
        "portable.SharedLink",
        "person",
        "a link shares the record it was made from; the merge revokes it without the "
        "survivor's consent",
    )
