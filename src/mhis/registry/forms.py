"""Page forms. They collect fields; registry.services validates them, as for the API."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices

from .codes import DatePrecision, IdentifierType, MigrationStatus, OccupationSector, Sex

# Service field → form field; anything else is shown above the form.
FIELD_MAP = {
    "registration_site": "registration_site",
    "names": "name",
    "names.0": "name",
    "names.0.text": "name",
    "names.0.latin": "name_latin",
    "sex": "sex",
    "birth_date": "birth_date",
    "birth_date_precision": "birth_date_precision",
    "nationality": "nationality",
    "languages": "languages",
    "contact": "contact",
    "identifiers.0.type": "identifier_type",
    "identifiers.0.issuing_country": "identifier_country",
    "identifiers.0.value": "identifier_value",
    "episodes.0.status": "migration_status",
    "episodes.0.origin_country": "origin_country",
    "episodes.0.destination_country": "destination_country",
    "episodes.0.occupation_sector": "occupation_sector",
    "episodes.0.start_date": "episode_start",
}


def _countries():
    return [("", "—"), *country_choices()]


class PersonForm(forms.Form):
    registration_site = forms.ChoiceField(label=_("Registration site"))
    # Not required here: registry.services checks names, so every problem is shown at once.
    name = forms.CharField(
        label=_("Name as written"), max_length=400, required=False, help_text=_("In any script.")
    )
    name_latin = forms.CharField(
        label=_("Name in Latin letters"),
        max_length=400,
        required=False,
        help_text=_("As on a passport or permit; left empty, it is generated."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    birth_date = forms.CharField(
        label=_("Date of birth"),
        max_length=20,
        required=False,
        help_text=_("YYYY-MM-DD, YYYY-MM or YYYY"),
    )
    birth_date_precision = forms.ChoiceField(
        label=_("Precision"),
        required=False,
        choices=[("", _("As written")), *DatePrecision.choices],
    )
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    languages = forms.CharField(
        label=_("Languages"),
        max_length=100,
        required=False,
        help_text=_("ISO 639 codes, e.g. my, th, km"),
    )
    contact = forms.CharField(
        label=_("Contact"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration_site"].choices = [(s.code, s.name) for s in sites]
        self.fields["nationality"].choices = _countries()

    def service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            target = FIELD_MAP.get(field)
            if target not in self.fields:
                target = None
                messages = [f"{field}: {m}" for m in messages]
            for message in messages:
                self.add_error(target, message)

    def person_data(self) -> dict:
        data = self.cleaned_data
        return {
            "registration_site": data["registration_site"],
            "names": [{"text": data["name"], "latin": data["name_latin"] or None}],
            "sex": data["sex"],
            "birth_date": data["birth_date"],
            "birth_date_precision": data["birth_date_precision"] or None,
            "nationality": data["nationality"],
            "languages": [
                c for c in data["languages"].replace(";", ",").replace(" ", ",").split(",") if c
            ],
            "contact": data["contact"],
        }


class RegistrationForm(PersonForm):
    identifier_type = forms.ChoiceField(
        label=_("Identifier type"), required=False, choices=[("", "—"), *IdentifierType.choices]
    )
    identifier_country = forms.ChoiceField(label=_("Issuing country"), required=False)
    identifier_value = forms.CharField(label=_("Identifier"), max_length=100, required=False)
    migration_status = forms.ChoiceField(
        label=_("Migration status"),
        required=False,
        choices=MigrationStatus.choices,
        initial=MigrationStatus.UNK,
        help_text=_("Care never depends on it. Unknown and declined are always valid."),
    )
    origin_country = forms.ChoiceField(label=_("Country of origin"), required=False)
    destination_country = forms.ChoiceField(label=_("Country of destination"), required=False)
    occupation_sector = forms.ChoiceField(
        label=_("Occupation sector"),
        required=False,
        choices=OccupationSector.choices,
        initial=OccupationSector.UNKNOWN,
    )
    episode_start = forms.CharField(
        label=_("Migration started on"), max_length=20, required=False, help_text="YYYY-MM-DD"
    )
    consent_care = forms.BooleanField(
        label=_("The person consents to care and record keeping today"), required=False
    )

    def __init__(self, *args, show_status=False, **kwargs):
        super().__init__(*args, **kwargs)
        for field in ("identifier_country", "origin_country", "destination_country"):
            self.fields[field].choices = _countries()
        if not show_status:
            for field in (
                "migration_status",
                "origin_country",
                "destination_country",
                "occupation_sector",
                "episode_start",
            ):
                del self.fields[field]

    def person_data(self) -> dict:
        data = super().person_data()
        cleaned = self.cleaned_data
        if cleaned.get("identifier_type") or cleaned.get("identifier_value"):
            data["identifiers"] = [
                {
                    "type": cleaned.get("identifier_type"),
                    "issuing_country": cleaned.get("identifier_country"),
                    "value": cleaned.get("identifier_value"),
                }
            ]
        if "migration_status" in self.fields:
            data["episodes"] = [
                {
                    "status": cleaned.get("migration_status") or None,
                    "origin_country": cleaned.get("origin_country"),
                    "destination_country": cleaned.get("destination_country"),
                    "occupation_sector": cleaned.get("occupation_sector") or None,
                    "start_date": cleaned.get("episode_start") or None,
                }
            ]
        if cleaned.get("consent_care"):
            data["consents"] = [{"scope": "care", "given_on": timezone.localdate().isoformat()}]
        return data
