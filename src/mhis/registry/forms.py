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
from mhis.dates import read_date
from mhis.formtools import LanguagesField
from mhis.names import InvalidName, clean_name, detect_script, romanise

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
from .validation import parse_birth_date

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
    # Set once the Latin spelling made from a name in another script was shown to be checked:
    # left empty after that, it is generated on saving.
    latin_checked = forms.BooleanField(required=False, widget=forms.HiddenInput)
    sex = form_field(PersonInput, "sex", label=_("Sex"), initial=Sex.UNKNOWN, required=True)
    birth_date = forms.CharField(
        label=_("Date of birth"),
        max_length=40,
        required=False,
        help_text=_(
            "As much as is known: 3 April 1991, April 1991, 1991, or 03/04/1991 (day/month/year)."
        ),
    )
    birth_date_precision = form_field(PersonInput, "birth_date_precision", label=_("Precision"))
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    languages = LanguagesField(
        label=_("Languages"),
        required=False,
        help_text=_("One language a box, by its name or ISO 639 code; the list suggests names."),
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._propose_latin(cleaned)
        return cleaned

    def _propose_latin(self, cleaned: dict[str, Any]) -> None:
        """A name in another script with no Latin spelling: the first save shows the one made
        from it (Naw Wa Wa Moe for နော်ဝါဝါမိုး) in the Latin field, to be checked against
        their documents, changed if need be and saved."""
        name = cleaned.get("name") or ""
        if cleaned.get("latin_name") or cleaned.get("latin_checked") or not name.strip():
            return
        try:
            name = clean_name(name)
        except InvalidName:
            return  # the contract says what is wrong with it
        if detect_script(name) in ("Latn", "Zyyy"):
            return
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
        data[self.add_prefix("latin_name")] = romanise(name)
        data[self.add_prefix("latin_checked")] = "1"
        self.data = data
        self.add_error(
            "latin_name",
            ValidationError(
                _(
                    "Check this spelling in Latin letters, made from the name: change it to "
                    "the spelling on their passport or permit if it differs, then save again."
                ),
                code="check_latin",
            ),
        )

    def clean_birth_date(self) -> str:
        """The date of birth as said (April 1991, 03/04/1991 …), as the contract reads it:
        YYYY-MM-DD, YYYY-MM or YYYY, the precision of what was written."""
        value = self.cleaned_data.get("birth_date") or ""
        if not value.strip():
            return ""
        try:
            said = read_date(value, field=str(self.fields["birth_date"].label)).iso()
            parse_birth_date(said)  # not in the future, nor too long ago: said with the rest
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None
        return said

    def service_errors(self, exc: ValidationError) -> None:
        form_errors(self, exc, paths=FLAT_PATHS)
        # Languages the field could not read: its own words (pick from the list) instead.
        problems = getattr(self.fields["languages"], "problems", None)
        if problems and "languages" in self.errors:
            self.errors["languages"] = self.error_class(problems)

    def readable_data(self) -> dict[str, Any]:
        """After a refusal by the form's own checks (a date it could not read, a Latin
        spelling to check), the contract's shape of what it could read: checked too, so that
        every problem shows at once. The fields refused are left out."""
        cleaned = getattr(self, "cleaned_data", {})
        return person_from_flat({k: v for k, v in cleaned.items() if k not in self.errors})

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
