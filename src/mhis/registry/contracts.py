"""What the registry's writes take: the person (with their names, identifiers, migration
episodes and consents), one migration episode, one household member, each a typed contract
(see mhis.contracts) whose types, allowed values and lengths come from the models.

A page form and an import row give a person flat (one name, one identifier, one migration
episode, as columns): `person_from_flat` makes the contract's shape of it, and `FLAT_PATHS`
says which flat field an error path lands on, for both.

The checks that depend on who writes, and about whom, run when the service gives the context:
`user` (a site in their places, a member they may see, migration status they are shown),
`person` (the record changed: its registration site kept, its stored identifiers, its date of
birth), `sites` (an import's cache of sites by code).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mhis import names as namelib
from mhis.access.policy import Can, allowed
from mhis.access.services import in_scope
from mhis.contracts import (
    AnyDay,
    Contract,
    Country,
    Language,
    SiteCode,
    allowed_values,
    blank_to,
    context_of,
    field,
    parse_any_day,
    refuse,
    split_list,
)
from mhis.places.models import Place, PlaceKind

from .codes import (
    IDENTITY_DOCUMENT,
    NEUTRAL_IDENTIFIER_TYPES,
    MigrationStatus,
    NameUse,
    OccupationSector,
    Relationship,
    Sex,
)
from .models import (
    Consent,
    HouseholdMember,
    Identifier,
    MigrationEpisode,
    Person,
    PersonName,
)
from .validation import (
    clean_identifier,
    earliest_birth,
    episodes_before_birth,
    normalise_identifier,
    parse_birth_date,
)

MAX_NAMES = 10
MAX_IDENTIFIERS = 10
MAX_EPISODES = 20
MAX_CONSENTS = 10
MAX_LANGUAGES = 10
MAX_TRANSIT = 10

# The types of the fields that take their values and lengths from the models (mhis.contracts
# .field) are built when the module loads; the type checker reads each as the text it holds.
if TYPE_CHECKING:
    NameText = str
    NameLatin = str
    NameUseCode = str
    IdentifierValue = str
    StatusCode = str
    SectorCode = str
    ConsentScopeCode = str
    SexCode = str
    PrecisionCode = str
    ContactText = str
    RelationshipCode = str
else:
    NameText = field(PersonName, "text")
    NameLatin = field(PersonName, "latin")
    NameUseCode = field(PersonName, "use")
    IdentifierValue = field(Identifier, "value")
    StatusCode = field(MigrationEpisode, "status")
    SectorCode = field(MigrationEpisode, "occupation_sector")
    ConsentScopeCode = field(Consent, "scope")
    SexCode = field(Person, "sex")
    PrecisionCode = field(Person, "birth_date_precision")
    ContactText = field(Person, "contact")
    RelationshipCode = field(HouseholdMember, "relationship")


def _with_context(info: ValidationInfo) -> bool:
    """Whether the writing service gave its context (a check without it, as the API's first
    reading of a body, leaves the scoped checks to the service's)."""
    return context_of(info, "user") is not None


# -- names --------------------------------------------------------------------------------------


def _name_message(exc: namelib.InvalidName) -> str:
    messages = {
        "not_text": _("A name must be text."),
        "control": _("A name cannot contain control characters."),
        "format": _("A name cannot contain the formatting character %(character)s.")
        % {"character": namelib.describe_character(exc.character) if exc.character else ""},
        "no_letter": _("A name must contain at least one letter."),
        "too_long": _("A name can have at most %(n)s characters.") % {"n": namelib.MAX_NAME_LENGTH},
    }
    return messages.get(exc.code, str(exc))


def _clean_name(value: Any) -> str:
    try:
        return namelib.clean_name("" if value is None else value)
    except namelib.InvalidName as exc:
        raise ValueError(_name_message(exc)) from None


def _clean_latin(value: Any) -> str:
    if value is None or value == "":
        return ""
    latin = _clean_name(value)
    if namelib.detect_script(latin) != "Latn":
        raise ValueError(_("Write this name in Latin letters."))
    return latin


class NameInput(Contract):
    """A name as written, in any script; its Latin spelling is generated when not given."""

    model = PersonName

    text: Annotated[NameText, BeforeValidator(_clean_name)] = Field(
        description="The name as written, in any script."
    )
    latin: Annotated[NameLatin, BeforeValidator(_clean_latin)] = Field(
        "", description="Latin spelling; generated when absent."
    )
    use: NameUseCode = NameUse.OFFICIAL

    def row(self) -> dict[str, Any]:
        """The name as stored: its script, and a Latin spelling unless it is one."""
        script = namelib.detect_script(self.text)
        latin = self.latin or (namelib.romanise(self.text) if script != "Latn" else "")
        return {
            "text": self.text,
            "latin": latin if latin != self.text else "",
            "use": self.use,
            "script": script,
        }


# -- identifiers --------------------------------------------------------------------------------

if TYPE_CHECKING:
    IdentifierKind = str  # one of the model's kinds, or identity_document
else:
    IdentifierKind = Annotated[
        Literal.__getitem__((*allowed_values(Identifier, "type"), IDENTITY_DOCUMENT)),
        BeforeValidator(lambda value: value.strip() if isinstance(value, str) else value),
        Field(
            description="identity_document keeps the kind stored for the same document (how a "
            "role that may not see migration status is shown the kinds that tell it)"
        ),
    ]


class IdentifierInput(Contract):
    """A document's number: letters and digits (spaces, hyphens, dots and slashes are kept as
    written and ignored when comparing)."""

    model = Identifier
    extra_values = {
        "type": {
            IDENTITY_DOCUMENT: "a role that may not see migration status reads the kinds that "
            "tell it as this, and may send it back: the stored kind is kept"
        }
    }

    type: IdentifierKind
    issuing_country: Country = ""
    value: IdentifierValue

    @model_validator(mode="after")
    def _document(self, info: ValidationInfo) -> Self:
        if self.type == IDENTITY_DOCUMENT:
            if not _with_context(info):
                return self
            person = context_of(info, "person")
            stored = {}
            if person is not None:
                for kind, country, value in person.identifiers.values_list(
                    "type", "issuing_country", "value"
                ):
                    stored[(normalise_identifier(value), country)] = kind
            kind = stored.get((normalise_identifier(self.value), self.issuing_country), "")
            if kind not in NEUTRAL_IDENTIFIER_TYPES:
                refuse({"type": _("Choose the kind of document.")})
            self.type = kind
        try:
            self.value, _normal = clean_identifier(self.type, self.value)
        except ValueError as exc:
            refuse({"value": str(exc)})
        return self

    @property
    def normal(self) -> str:
        """The value as compared and hashed."""
        return normalise_identifier(self.value)

    def row(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "issuing_country": self.issuing_country,
            "value": self.value,
            "normal": self.normal,
        }


# -- migration episodes -------------------------------------------------------------------------


def _birth_of(person: Person | None) -> tuple[date, str] | None:
    if person is None or not person.birth_date:
        return None
    return person.birth_date, person.birth_date_precision


def _before_birth(day: date | None, birth: tuple[date, str] | None) -> bool:
    return bool(day and birth and day < earliest_birth(*birth))


class EpisodeInput(Contract):
    """A migration episode: a status (IOM categories; unknown and declined are always valid),
    where from, through and to, the work, and when. Written only by the roles shown migration
    status. Checked alone, its start is not before the date of birth of the person whose
    history it joins (the context's `episode_of`)."""

    model = MigrationEpisode

    status: StatusCode = MigrationStatus.UNK
    origin_country: Country = ""
    transit_countries: Annotated[
        list[Country], BeforeValidator(split_list), BeforeValidator(blank_to([]))
    ] = Field(default_factory=list, max_length=MAX_TRANSIT)
    destination_country: Country = ""
    occupation_sector: SectorCode = OccupationSector.UNKNOWN
    start_date: AnyDay = None
    end_date: AnyDay = None

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value and start and value < start:
            raise ValueError(_("The end date is before the start date."))
        return value

    @field_validator("start_date")
    @classmethod
    def _after_birth(cls, value: date | None, info: ValidationInfo) -> date | None:
        if _before_birth(value, _birth_of(context_of(info, "episode_of"))):
            raise ValueError(_("The episode starts before the date of birth."))
        return value

    def row(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in EPISODE_FIELDS}


EPISODE_FIELDS = EpisodeInput.columns()


# -- consents -----------------------------------------------------------------------------------


def _given_on(value: date) -> date:
    if value > timezone.localdate():
        raise ValueError(_("Consent cannot be given in the future."))
    return value


def _required_day(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("This field is required."))
    return parse_any_day(value)


class ConsentInput(Contract):
    """A consent the person gave (and, if so, withdrew), by scope."""

    model = Consent

    scope: ConsentScopeCode
    given_on: Annotated[
        date,
        AfterValidator(_given_on),
        BeforeValidator(_required_day),
        Field(description="YYYY-MM-DD"),
    ]
    withdrawn_on: AnyDay = None

    @field_validator("withdrawn_on")
    @classmethod
    def _after_given(cls, value: date | None, info: ValidationInfo) -> date | None:
        given = info.data.get("given_on")
        if value and given and value < given:
            raise ValueError(_("Consent cannot be withdrawn before it was given."))
        return value

    def row(self) -> dict[str, Any]:
        return {"scope": self.scope, "given_on": self.given_on, "withdrawn_on": self.withdrawn_on}


# -- the person ---------------------------------------------------------------------------------


def site_with_code(code: str) -> Place | None:
    """The site a registration names by its code, in anyone's places."""
    return Place.objects.filter(code=code, kind=PlaceKind.SITE).first()


def _registration_site(code: Any, info: ValidationInfo) -> Any:
    """The site (a Place) with this code in the user's places; on a change, the person's own
    registration site even where it is another's."""
    if not _with_context(info):
        return code
    user, person, sites = (context_of(info, k) for k in ("user", "person", "sites"))
    if sites is not None and code in sites:
        site = sites[code]
    else:
        site = site_with_code(code)
        if sites is not None:
            sites[code] = site
    if person is not None and site is not None and site.pk == person.registration_site_id:
        return site
    if site is None or user is None or not in_scope(user, site):
        raise ValueError(_("No site with this code in your places."))
    return site


def _one_of_each(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _names(value: list[NameInput]) -> list[NameInput]:
    if not value:
        raise ValueError(_("Give at least one name."))
    return value


class PersonInput(Contract):
    """A person: where they were registered, their names (the first is shown), sex, date of
    birth (as much of it as is known), nationality, languages, contact, and their documents,
    migration history and consents. On a change, a list given replaces the person's."""

    model = Person

    registration_site: Annotated[SiteCode, AfterValidator(_registration_site)]
    names: Annotated[
        list[NameInput],
        AfterValidator(_names),
        BeforeValidator(blank_to([])),
        Field(max_length=MAX_NAMES),
    ] = Field(default_factory=list, validate_default=True, description="The first is shown.")
    sex: SexCode = Sex.UNKNOWN
    birth_date_precision: PrecisionCode = ""
    birth_date: Annotated[str | None, BeforeValidator(blank_to(None))] = Field(
        None, validate_default=True, description="YYYY-MM-DD, YYYY-MM or YYYY"
    )
    nationality: Country = ""
    languages: Annotated[
        list[Language],
        AfterValidator(_one_of_each),
        BeforeValidator(split_list),
        BeforeValidator(blank_to([])),
        Field(max_length=MAX_LANGUAGES, description="ISO 639 codes"),
    ] = Field(default_factory=list)
    contact: ContactText = ""
    identifiers: Annotated[
        list[IdentifierInput], BeforeValidator(blank_to([])), Field(max_length=MAX_IDENTIFIERS)
    ] = Field(default_factory=list)
    episodes: Annotated[
        list[EpisodeInput], BeforeValidator(blank_to([])), Field(max_length=MAX_EPISODES)
    ] = Field(default_factory=list, description="Only for roles shown migration status.")
    consents: Annotated[
        list[ConsentInput], BeforeValidator(blank_to([])), Field(max_length=MAX_CONSENTS)
    ] = Field(default_factory=list)

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "birth_date_precision" not in info.data:
            return value  # the precision is refused: the date is read with it, once corrected
        precision = info.data.get("birth_date_precision") or None
        if value is None:
            if precision:
                raise ValueError(_("Give the date that goes with the precision."))
            return value
        parse_birth_date(value, precision)
        return value

    @field_validator("episodes", mode="before")
    @classmethod
    def _status_roles(cls, value: Any, info: ValidationInfo) -> Any:
        # Episodes are written only by the roles shown them: anyone else would replace (or,
        # with an empty list, erase) a history they cannot read. A registration with no
        # episode (the API's body always has the list) writes none and is taken.
        user = context_of(info, "user")
        if (
            user is not None
            and not allowed(user, Can.SEE_MIGRATION_STATUS)
            and (cls.is_update or value not in (None, "", [], ()))
        ):
            raise ValueError(_("Only roles shown migration status can record migration episodes."))
        return value

    @field_validator("episodes")
    @classmethod
    def _episodes_after_birth(
        cls, value: list[EpisodeInput], info: ValidationInfo
    ) -> list[EpisodeInput]:
        if "birth_date" in info.data and "birth_date_precision" in info.data:
            birth = _birth(info.data["birth_date"], info.data["birth_date_precision"])
            if birth is None and cls.is_update and info.data["birth_date"] is None:
                # not given on a change: the stored date stands
                birth = _birth_of(context_of(info, "person"))
            refuse(
                {
                    f"{i}.start_date": _("The episode starts before the date of birth.")
                    for i, episode in enumerate(value or ())
                    if _before_birth(episode.start_date, birth)
                }
            )
        return value

    @model_validator(mode="after")
    def _changes(self, info: ValidationInfo) -> Self:
        given = self.model_fields_set
        if self.is_update and "birth_date_precision" in given and "birth_date" not in given:
            refuse({"birth_date": _("Give the date that goes with the precision.")})
        # Only for a user who is shown migration episodes. For anyone else, whether a date is
        # refused would depend on dates they may not see: trying birth dates one after another
        # (nothing is written) would find the day a migration started. Their change is kept;
        # the conflict it may leave is shown to health staff on the person's page
        # (episodes_before_birth), and refused when one of them changes the date. A date saved
        # unchanged is not refused, so the conflict does not block their other edits.
        person, user = context_of(info, "person"), context_of(info, "user")
        birth = self.birth()
        if (
            self.is_update
            and person is not None
            and user is not None
            and "birth_date" in given
            and "episodes" not in given
            and birth is not None
            and allowed(user, Can.SEE_MIGRATION_STATUS)
            and birth != _birth_of(person)
            and episodes_before_birth(person, birth)
        ):
            refuse({"birth_date": _("A migration episode starts before this date of birth.")})
        return self

    def birth(self) -> tuple[date, str] | None:
        """The date of birth as stored (its first possible day) and its precision."""
        return _birth(self.birth_date, self.birth_date_precision)


def _birth(value: str | None, precision: str | None) -> tuple[date, str] | None:
    return parse_birth_date(value, precision or None) if value else None


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    PersonChange = PersonInput
    EpisodeChange = EpisodeInput
else:
    PersonChange = PersonInput.update()
    EpisodeChange = EpisodeInput.update()


# -- the flat shape: a page form, an import row ---------------------------------------------------

# The flat fields (an import's columns) and the contract's path each stands for.
FLAT_FIELDS = {
    "registration_site": "registration_site",
    "name": "names.0.text",
    "latin_name": "names.0.latin",
    "sex": "sex",
    "birth_date": "birth_date",
    "birth_date_precision": "birth_date_precision",
    "nationality": "nationality",
    "languages": "languages",
    "contact": "contact",
    "identifier_type": "identifiers.0.type",
    "identifier_country": "identifiers.0.issuing_country",
    "identifier_value": "identifiers.0.value",
    "migration_status": "episodes.0.status",
    "origin_country": "episodes.0.origin_country",
    "destination_country": "episodes.0.destination_country",
    "occupation_sector": "episodes.0.occupation_sector",
    "migration_start": "episodes.0.start_date",
}
# An error path -> the flat field it lands on (mhis.contracts.field_of: "languages.1" lands
# where "languages" does); a list as a whole is shown at its first item's main field.
FLAT_PATHS = {
    **{path: flat for flat, path in FLAT_FIELDS.items()},
    "names": "name",
    "names.0": "name",
    "identifiers.0": "identifier_value",
    "episodes": "migration_status",
    "episodes.0": "migration_status",
}
IDENTIFIER_COLUMNS = ("identifier_type", "identifier_country", "identifier_value")
# Columns that make a migration episode: given only by roles shown migration status.
EPISODE_COLUMNS = ("migration_status", "origin_country", "destination_country", "occupation_sector", "migration_start")  # fmt: skip


def person_from_flat(values: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's shape of a flat person. Identifiers and episodes only when their fields
    are there: a file or a form without them says nothing of them (a re-imported row keeps the
    person's); there but empty, they say there are none."""
    data: dict[str, Any] = {
        "registration_site": values.get("registration_site", ""),
        "names": [{"text": values.get("name", ""), "latin": values.get("latin_name", "")}],
        "sex": values.get("sex", ""),
        "birth_date": values.get("birth_date", ""),
        "birth_date_precision": values.get("birth_date_precision", ""),
        "nationality": values.get("nationality", ""),
        "languages": (values.get("languages") or "").replace(" ", ","),
        "contact": values.get("contact", ""),
    }
    if any(f in values for f in IDENTIFIER_COLUMNS):
        data["identifiers"] = []
    if values.get("identifier_value") or values.get("identifier_type"):
        data["identifiers"] = [
            {
                "type": values.get("identifier_type", ""),
                "issuing_country": values.get("identifier_country", ""),
                "value": values.get("identifier_value", ""),
            }
        ]
    if any(f in values for f in EPISODE_COLUMNS):
        data["episodes"] = []
    if any(values.get(f) for f in EPISODE_COLUMNS):
        data["episodes"] = [
            {
                "status": values.get("migration_status", ""),
                "origin_country": values.get("origin_country", ""),
                "destination_country": values.get("destination_country", ""),
                "occupation_sector": values.get("occupation_sector", ""),
                "start_date": values.get("migration_start", ""),
            }
        ]
    return data


# -- household members --------------------------------------------------------------------------


def _member_id(value: Any) -> Any:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValueError(_("No such person in your places.")) from None


def _member(key: uuid.UUID, info: ValidationInfo) -> Any:
    """The person with this id, among those the user may see."""
    if not _with_context(info):
        return key
    from .search import visible_people

    member = visible_people(context_of(info, "user")).filter(uuid=key).first()
    if member is None:
        raise ValueError(_("No such person in your places."))
    if member.pk == getattr(context_of(info, "person"), "pk", None):
        raise ValueError(_("A person cannot be their own household member."))
    return member


def _not_head(value: str) -> str:
    if value == Relationship.HEAD:
        raise ValueError(_("The household head is the person the household belongs to."))
    return value


class HouseholdMemberInput(Contract):
    """A member of the `person`'s household: someone registered, in your places. Family left
    behind in the country of origin are registered people too (often with status FAM_LB):
    `left_behind` and `country_of_residence` say where they live; like the status, only the
    roles shown it set them."""

    model = HouseholdMember

    member: Annotated[uuid.UUID, AfterValidator(_member), BeforeValidator(_member_id)] = Field(
        description="Id of a person in your places"
    )
    relationship: Annotated[RelationshipCode, AfterValidator(_not_head)]
    left_behind: bool = Field(
        False,
        description="Lives in the country of origin; only roles shown migration status set it",
    )
    country_of_residence: Country = Field(
        "", description="Only roles shown migration status set it"
    )

    @model_validator(mode="after")
    def _where_they_live(self, info: ValidationInfo) -> Self:
        user, person = context_of(info, "user"), context_of(info, "person")
        if user is not None and not allowed(user, Can.SEE_MIGRATION_STATUS):
            refusal = _("Only roles shown migration status can record where a member lives.")
            refuse(
                {f: refusal for f in ("left_behind", "country_of_residence") if getattr(self, f)}
            )
        member = self.member
        if (
            person is not None
            and isinstance(member, Person)
            and member.memberships.exclude(household__members__person=person).exists()
        ):
            refuse({"member": _("This person already belongs to another household.")})
        return self
