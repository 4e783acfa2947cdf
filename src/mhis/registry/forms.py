"""Page forms. They collect a person flat (registry.contracts.person_from_flat makes the
contract's shape of it, as for an import row); the contract, through the service, checks it,
and its errors land on the fields `FLAT_PATHS` names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices
from mhis.contracts import form_errors, form_field

from .codes import IdentifierType, MigrationStatus, OccupationSector, Sex
from .contracts import (
    FLAT_PATHS,
    ConsentInput,
    EpisodeInput,
    IdentifierInput,
    NameInput,
    PersonInput,
    person_from_flat,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from mhis.places.models import Place


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *country_choices()]


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's field `name`, one of its choice fields."""
    return cast(forms.ChoiceField, form.fields[name])


class PersonForm(forms.Form):
    # The form in short sections (mhis.formtools.sections); a field not named joins the one
    # before it.
    sections = (
        (_("Name"), ("name", "latin_name")),
        (_("Sex and birth"), ("sex", "birth_date", "birth_date_precision")),
        (_("Nationality, languages and contact"), ("nationality", "languages", "contact")),
        (_("Identity document"), ("identifier_type", "identifier_country", "identifier_value")),
        (_("Migration"), ("migration_status", "origin_country", "destination_country",
                          "occupation_sector", "migration_start")),
        (_("Registration"), ("registration_site", "consent_care")),
    )  # fmt: skip
    registration_site = forms.ChoiceField(label=_("Registration site"))
    # Not required here: the contract checks names, so every problem is shown at once.
    name = form_field(NameInput, "text", label=_("Name as written"), help_text=_("In any script."))
    latin_name = form_field(
        NameInput,
        "latin",
        label=_("Name in Latin letters"),
        help_text=_("As on a passport or permit; left empty, it is generated."),
    )
    sex = form_field(PersonInput, "sex", label=_("Sex"), initial=Sex.UNKNOWN, required=True)
    birth_date = forms.CharField(
        label=_("Date of birth"),
        max_length=20,
        required=False,
        help_text=_("YYYY-MM-DD, YYYY-MM or YYYY"),
    )
    birth_date_precision = form_field(PersonInput, "birth_date_precision", label=_("Precision"))
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    languages = forms.CharField(
        label=_("Languages"),
        max_length=100,
        required=False,
        help_text=_("ISO 639 codes, e.g. my, th, km"),
    )
    contact = form_field(
        PersonInput, "contact", label=_("Contact"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, sites: Iterable[Place] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "registration_site").choices = [(s.code, s.name) for s in sites]
        _choice(self, "nationality").choices = _countries()
        precision = _choice(self, "birth_date_precision")
        # The contract's values as `form_field` lists them: "" (shown "—") first.
        listed = cast("list[tuple[str, StrOrPromise]]", precision.choices)
        precision.choices = [("", _("As written")), *listed[1:]]

    def service_errors(self, exc: ValidationError) -> None:
        form_errors(self, exc, paths=FLAT_PATHS)

    def person_data(self) -> dict[str, Any]:
        return person_from_flat(self.cleaned_data)


class RegistrationForm(PersonForm):
    # The kinds of document (not "identity document", which the API takes back as read).
    identifier_type = form_field(
        IdentifierInput,
        "type",
        label=_("Identifier type"),
        choices=[("", "—"), *IdentifierType.choices],
    )
    identifier_country = forms.ChoiceField(label=_("Issuing country"), required=False)
    identifier_value = form_field(IdentifierInput, "value", label=_("Identifier"))
    migration_status = form_field(
        EpisodeInput,
        "status",
        label=_("Migration status"),
        initial=MigrationStatus.UNK,
        help_text=_("Care never depends on it. Unknown and declined are always valid."),
    )
    origin_country = forms.ChoiceField(label=_("Country of origin"), required=False)
    destination_country = forms.ChoiceField(label=_("Country of destination"), required=False)
    occupation_sector = form_field(
        EpisodeInput,
        "occupation_sector",
        label=_("Occupation sector"),
        initial=OccupationSector.UNKNOWN,
    )
    migration_start = forms.CharField(
        label=_("Migration started on"), max_length=20, required=False, help_text="YYYY-MM-DD"
    )
    consent_care = forms.BooleanField(
        label=_("The person consents to care and record keeping today"), required=False
    )

    def __init__(self, *args: Any, show_status: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in ("identifier_country", "origin_country", "destination_country"):
            _choice(self, field).choices = _countries()
        if not show_status:
            for field in (
                "migration_status",
                "origin_country",
                "destination_country",
                "occupation_sector",
                "migration_start",
            ):
                del self.fields[field]

    def person_data(self) -> dict[str, Any]:
        data = super().person_data()
        cleaned = self.cleaned_data
        if cleaned.get("consent_care"):
            data["consents"] = [{"scope": "care", "given_on": timezone.localdate().isoformat()}]
        return data


class ConsentForm(forms.Form):
    """A consent the person gives: what to, and the day (today unless said otherwise)."""

    scope = form_field(ConsentInput, "scope", label=_("Consent to"), required=True)
    given_on = forms.CharField(
        label=_("Given on"),
        max_length=10,
        required=False,
        help_text=_("YYYY-MM-DD; left empty, today."),
        widget=forms.TextInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("given_on", timezone.localdate().isoformat())
        super().__init__(*args, **kwargs)


class WithdrawalForm(forms.Form):
    """The withdrawal of one consent: the day the person withdrew it (today unless said)."""

    withdrawn_on = forms.CharField(
        label=_("Withdrawn on"),
        max_length=10,
        required=False,
        help_text=_("YYYY-MM-DD; left empty, today."),
        widget=forms.TextInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "withdrawn_on", timezone.localdate().isoformat()
        )
        super().__init__(*args, **kwargs)
