"""What each outreach record kind takes: one typed contract per kind (see mhis.contracts).

Workers, corners and registered people are named by their code or id; with the writer in
the context (`user`) they are looked up in the writer's places, and the contract holds the
records themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from mhis.access.services import in_scope
from mhis.contracts import (
    Contract,
    Day,
    Language,
    RequiredDay,
    blank_to,
    context_of,
    field,
    flag,
    refuse,
    whole,
)
from mhis.input import OwnSite
from mhis.registry.codes import Sex
from mhis.registry.models import Person
from mhis.registry.search import visible_people

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .codes import AgeGroup, Topic
from .models import Contact, HealthCorner, Session, Training, Worker

MAX_GROUP = 10_000
MAX_HOURS = 1000
MAX_LANGUAGES = 10


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _present(value: Any) -> Any:
    if value is None or value == "":
        raise ValueError(_("This field is required."))
    return value


def _in_places(model: type[Worker] | type[HealthCorner], refusal: StrOrPromise) -> Any:
    """A look-up of a `model` (at a site) by its code, in the writing user's places."""

    def look_up(code: Any, info: ValidationInfo) -> Any:
        user = context_of(info, "user")
        if code is None or user is None:
            return code
        found = model.objects.filter(code=code).select_related("site").first()
        if found is None or not in_scope(user, found.site):
            raise ValueError(str(refusal))
        return found

    return look_up


_worker = _in_places(Worker, gettext_lazy("No worker with this code in your places."))
_corner = _in_places(HealthCorner, gettext_lazy("No health corner with this code in your places."))


def _person(value: Any, info: ValidationInfo) -> Any:
    user = context_of(info, "user")
    if value is None or user is None:
        return value
    try:
        return visible_people(user).get(uuid=value)
    except (ValidationError, ValueError, Person.DoesNotExist):  # not an id, or not visible
        raise ValueError(_("No person with this id in your places.")) from None


_CODE = Worker._meta.get_field("code").max_length

WorkerCode = Annotated[
    str | None,
    Field(max_length=_CODE, description="Code of a worker or volunteer in your places"),
    AfterValidator(_worker),
    BeforeValidator(blank_to(None)),
    BeforeValidator(_text),
]
RequiredWorkerCode = Annotated[
    str,
    Field(max_length=_CODE, description="Code of a worker or volunteer in your places"),
    AfterValidator(_worker),
    BeforeValidator(_present),
    BeforeValidator(_text),
]
CornerCode = Annotated[
    str | None,
    Field(
        max_length=HealthCorner._meta.get_field("code").max_length,
        description="Code of a migrant health corner in your places",
    ),
    AfterValidator(_corner),
    BeforeValidator(blank_to(None)),
    BeforeValidator(_text),
]
PersonId = Annotated[
    str | None,
    Field(max_length=36, description="MHIS id of a registered person you may see"),
    AfterValidator(_person),
    BeforeValidator(blank_to(None)),
    BeforeValidator(_text),
]


def _languages(value: Any) -> Any:
    """Codes as a cell writes them: "my th", "my; th" or "my, th"."""
    if isinstance(value, str):
        return [c for c in value.replace(",", " ").replace(";", " ").split() if c]
    return [] if value is None else value


# The types of the fields that take their values and lengths from the models (mhis.contracts
# .field, .whole, .flag) are built when the module loads; the type checker reads each as the
# value it holds.
if TYPE_CHECKING:
    WorkerCodeText = str
    WorkerName = str
    WorkerKindCode = str
    WorkerSexCode = str
    Active = bool
    CornerCodeText = str
    CornerName = str
    CornerKindCode = str
    SessionTopicCode = str
    Attendance = int
    SessionNotes = str
    ContactSexCode = str
    AgeGroupCode = str
    ContactTopicCode = str
    Referred = bool
    Course = str
    TrainingTopicCode = str
    Provider = str
    Hours = int | None
else:
    WorkerCodeText = field(Worker, "code")
    WorkerName = field(Worker, "name")
    WorkerKindCode = field(Worker, "kind")
    WorkerSexCode = field(Worker, "sex")
    Active = flag(True)
    CornerCodeText = field(HealthCorner, "code")
    CornerName = field(HealthCorner, "name")
    CornerKindCode = field(HealthCorner, "kind")
    SessionTopicCode = field(Session, "topic")
    Attendance = whole(0, MAX_GROUP, default=0)
    SessionNotes = field(Session, "notes")
    ContactSexCode = field(Contact, "sex")
    AgeGroupCode = field(Contact, "age_group")
    ContactTopicCode = field(Contact, "topic")
    Referred = flag(False)
    Course = field(Training, "course")
    TrainingTopicCode = field(Training, "topic")
    Provider = field(Training, "provider")
    Hours = whole(0, MAX_HOURS)


class WorkerInput(Contract):
    """A community health worker or volunteer."""

    model = Worker

    code: WorkerCodeText
    name: WorkerName
    kind: WorkerKindCode
    sex: WorkerSexCode = Sex.UNKNOWN
    site: OwnSite
    languages: Annotated[
        list[Language], Field(max_length=MAX_LANGUAGES), BeforeValidator(_languages)
    ] = Field(default_factory=list, description="ISO 639 codes of the languages spoken")
    active: Active = True
    since: Day = None


class CornerInput(Contract):
    """A migrant health corner."""

    model = HealthCorner

    code: CornerCodeText
    name: CornerName
    kind: CornerKindCode
    site: OwnSite
    opened_on: Day = None
    closed_on: Day = None

    @model_validator(mode="after")
    def _open_before_closed(self, info: ValidationInfo) -> Self:
        opened, closed = self.value_of("opened_on", info), self.value_of("closed_on", info)
        if opened and closed and closed < opened:
            refuse({"closed_on": _("The corner closed before it opened.")})
        return self


class SessionInput(Contract):
    """A health promotion session: how many came, by sex, never who."""

    model = Session

    site: OwnSite
    corner: CornerCode = None
    worker: WorkerCode = None
    date: RequiredDay
    topic: SessionTopicCode
    language: Language = Field("", description="ISO 639 code of the material's language")
    females: Attendance = 0
    males: Attendance = 0
    others: Attendance = 0
    notes: SessionNotes = ""

    @model_validator(mode="after")
    def _somebody_came(self) -> Self:
        if not self.is_update and not (self.females or self.males or self.others):
            refuse({"females": _("Give how many came, by sex.")})
        return self


class ContactInput(Contract):
    """One person met by a worker; `person`, when given, is a registered person."""

    model = Contact

    site: OwnSite
    worker: WorkerCode = None
    corner: CornerCode = None
    person: PersonId = None
    date: RequiredDay
    sex: ContactSexCode = Sex.UNKNOWN
    age_group: AgeGroupCode = AgeGroup.UNK
    topic: ContactTopicCode
    referred: Referred = False


class TrainingInput(Contract):
    """A course a worker or volunteer completed."""

    model = Training

    worker: RequiredWorkerCode
    course: Course
    topic: TrainingTopicCode = Topic.OTHER
    date: RequiredDay
    provider: Provider = ""
    hours: Hours = None


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    WorkerChange = WorkerInput
    CornerChange = CornerInput
    SessionChange = SessionInput
    ContactChange = ContactInput
    TrainingChange = TrainingInput
else:
    WorkerChange = WorkerInput.update()
    CornerChange = CornerInput.update()
    SessionChange = SessionInput.update()
    ContactChange = ContactInput.update()
    TrainingChange = TrainingInput.update()
