"""The registry's record kinds, and what of a person stays with the record it was
registered on through a merge (see mhis.kinds)."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register, stays


def declare() -> None:
    register(
        RecordKind(
            "episode", "registry.MigrationEpisode", _("Migration episode"), date_field="start_date"
        ),
        RecordKind("consent", "registry.Consent", _("Consent")),
        RecordKind("household_member", "registry.HouseholdMember", _("Household member")),
    )
    reason = "kept on the merged record, which points at the survivor"
    stays("registry.PersonName", "person", reason)
    stays("registry.NameKey", "person", reason)
    stays("registry.Identifier", "person", reason)
    stays("registry.Person", "merged_into", "the merge itself")
    stays("registry.PersonSite", "person", "the merge adds the survivor's missing site links")
