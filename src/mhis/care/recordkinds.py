"""The care record kinds (see mhis.kinds): each declared once, with what writes, shows and
collects it; the timeline, the page adders and editors, the API's routes, the merge and the
indicator cache are made from these."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register


def declare() -> None:
    from . import assessments, presentation, records, services
    from .contracts import (
        AssessmentInput,
        EncounterInput,
        ImmunisationInput,
        LabResultInput,
        ReferralChange,
        ReferralInput,
    )
    from .forms import (
        AssessmentForm,
        EncounterForm,
        ImmunisationForm,
        LabResultForm,
        ReferralEditForm,
        ReferralForm,
    )
    from .models import Immunisation, LabResult
    from .schemas import AssessmentOut, EncounterOut, ImmunisationOut, LabResultOut, ReferralOut

    register(
        RecordKind(
            "encounter",
            "care.Encounter",
            _("Encounter"),
            date_field="date",
            contract=EncounterInput,
            create=services.record_encounter,
            update=services.update_encounter,
            output=presentation.encounter_out,
            output_schema=EncounterOut,
            plural="encounters",
            form=EncounterForm,
            added=_("Encounter recorded."),
            add_title=_("Record an encounter"),
            indicators="encounter",
            site_fields=("site",),
            on_timeline=True,
            related=("site",),
            prefetch=("diagnoses", "payments"),
        ),
        RecordKind(
            "assessment",
            "care.Assessment",
            _("Health assessment"),
            date_field="date",
            contract=AssessmentInput,
            create=assessments.assess,
            update=assessments.update_assessment,
            output=presentation.assessment_out,
            output_schema=AssessmentOut,
            plural="assessments",
            form=AssessmentForm,
            added=_("Assessment started."),
            add_title=_("Start a health assessment"),
            indicators="assessment",
            site_fields=("site",),
            on_timeline=True,
            related=("site",),
            prefetch=("specimens",),
        ),
        RecordKind(
            "immunisation",
            "care.Immunisation",
            _("Immunisation"),
            date_field="date",
            contract=ImmunisationInput,
            create=lambda user, person, data: records.create_record(
                user, Immunisation, person, data
            ),
            update=records.update_record,
            output=presentation.immunisation_out,
            output_schema=ImmunisationOut,
            plural="immunisations",
            form=ImmunisationForm,
            added=_("Immunisation recorded."),
            add_title=_("Record an immunisation"),
            indicators="immunisation",
            site_fields=("site",),
            on_timeline=True,
            related=("site",),
        ),
        RecordKind(
            "lab_result",
            "care.LabResult",
            _("Lab result"),
            date_field="collected_on",
            contract=LabResultInput,
            create=lambda user, person, data: records.create_record(user, LabResult, person, data),
            update=records.update_record,
            output=presentation.lab_result_out,
            output_schema=LabResultOut,
            plural="lab-results",
            form=LabResultForm,
            added=_("Lab result recorded."),
            add_title=_("Record a lab result"),
            site_fields=("site",),
            on_timeline=True,
            related=("site",),
        ),
        RecordKind(
            "referral",
            "care.Referral",
            _("Referral"),
            date_field="sent_on",
            contract=ReferralInput,
            change_contract=ReferralChange,
            create=services.refer,
            update=services.update_referral,
            output=presentation.referral_out,
            output_schema=ReferralOut,
            plural="referrals",
            form=ReferralForm,
            change_form=ReferralEditForm,
            added=_("Referral sent."),
            add_title=_("Refer"),
            indicators="referral",
            site_fields=("site", "to_site"),
            on_timeline=True,
            related=("site", "to_site"),
            prefetch=("steps",),
        ),
        # The history of changes goes with the records it describes.
        RecordKind("record_change", "care.RecordChange", _("Change to a record")),
    )
