"""What each kind of import holds and how its rows are written.

A kind names its fields (the columns a file may have, unless a mapping says otherwise), the
fields a row cannot do without, the fields that make a row's key when the file has no
`source_key` column, and how a checked row is written: through the same service functions as
the pages and the API, so an imported record obeys every rule a typed one does.

Records about a person name them in the `person` column: the `source_key` of a people row
imported from the same source (by the same places), or the person's MHIS id. A row only ever
reaches people and records inside the importer's places (`Kind.within`, `services.person_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from mhis import kinds as record_kinds
from mhis.access.policy import Can, allowed, in_scope
from mhis.outreach import services as outreach
from mhis.outreach.contracts import ContactInput, SessionInput, TrainingInput, WorkerInput
from mhis.outreach.models import Contact, Session, Training, Worker
from mhis.registry import services as registry
from mhis.registry.contracts import EPISODE_FIELDS
from mhis.registry.models import MigrationEpisode


@dataclass(frozen=True)
class Kind:
    name: str
    label: Promise
    fields: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...] = ()  # the fields that identify a row when there is no source_key
    model: type | None = None
    create: Callable | None = None  # (user, person, data) -> record
    update: Callable | None = None  # (user, record, data) -> record
    updatable: tuple[str, ...] | None = None  # fields an update may change (None: all)
    about_person: bool = False
    grouped: bool = False  # rows are gathered into one record per key (weekly reports)
    needs: tuple[Can, ...] = (Can.WRITE_PERSON,)  # what a role must be granted to import it
    site: str = "site"  # the place a record of no person lies at (a training: its worker's)

    def allows(self, user) -> bool:
        return all(allowed(user, capability) for capability in self.needs)

    @property
    def all_fields(self) -> tuple[str, ...]:
        return ("source_key", *self.fields)

    def within(self, user, record_id: int | None) -> bool:
        """Whether the record `record_id` of this kind lies in the user's places, by the one
        scope rule (ADR 0013): its person's, or (records of no person) its site's. A record that
        no longer exists lies nowhere, and its row is imported afresh."""
        record = self.model.objects.filter(pk=record_id).first() if self.model else None
        if record is None:
            return True
        if self.about_person:
            return in_scope(user, record.person)
        return in_scope(user, reduce(getattr, self.site.split("__"), record))

    def data(self, values: dict[str, str]) -> dict[str, Any]:
        """A row's non-empty cells as the service takes them (an empty cell is left out, so a
        new record gets the default and an update keeps what it had). Numbers ("12") and
        yes/no are read by the kind's contract."""
        out: dict[str, Any] = {}
        for field in self.fields:
            value = values.get(field, "")
            if field == "person" or value == "":
                continue
            if field == "diagnoses":
                value = [
                    {"code": c.strip()}
                    for c in value.replace(",", ";").replace(" ", ";").split(";")
                    if c.strip()
                ]
            elif field == "transit_countries":
                value = [c for c in value.replace(",", ";").replace(" ", ";").split(";") if c]
            out[field] = value
        return out


def _of_record(
    name: str, import_name: str, label: Promise, *, omit: tuple[str, ...] = (), **options: Any
) -> Kind:
    """The import of the record kind `name` (mhis.kinds): its columns are its contract's (but
    `omit`), its rows written by the kind's own create and update, as a page or the API
    writes them."""
    record = record_kinds.kind(name)
    columns = tuple(f for f in record.contract.columns() if f not in omit)
    return Kind(
        import_name,
        label,
        ("person", *columns),
        model=record.model,
        create=record.create,
        update=record.update,
        about_person=True,
        **options,
    )


def _records() -> tuple[Kind, ...]:
    """The imports of care records, made once the record kinds are declared."""
    return (
        _of_record(
            "encounter",
            "encounters",
            gettext_lazy("Encounters"),
            required=("person", "site", "date"),
            key=("person", "site", "date", "kind"),
        ),
        _of_record(
            "immunisation",
            "immunisations",
            gettext_lazy("Immunisations"),
            omit=("assessment",),
            required=("person", "site", "vaccine", "date"),
            key=("person", "vaccine", "dose_number"),
        ),
        _of_record(
            "referral",
            "referrals",
            gettext_lazy("Referrals"),
            required=("person", "site", "reason"),
            key=("person", "site", "sent_on", "to_site", "to_facility"),
            updatable=("reason", "urgency", "due_on", "outcome"),
        ),
        _of_record(
            "assessment",
            "assessments",
            gettext_lazy("Health assessments"),
            omit=("specimens",),
            required=("person", "site", "type", "date"),
            key=("person", "type", "date"),
        ),
    )


WORKERS = Kind(
    "workers",
    gettext_lazy("Community health workers and volunteers"),
    WorkerInput.columns(),
    required=("code", "name", "kind", "site"),
    key=("code",),
    model=Worker,
    create=lambda user, _person, data: outreach.save_worker(user, data),
    update=lambda user, record, data: outreach.save_worker(user, data, record),
)
SESSIONS = Kind(
    "sessions",
    gettext_lazy("Health promotion sessions"),
    SessionInput.columns(),
    required=("site", "date", "topic"),
    key=("site", "date", "topic", "worker", "corner"),
    model=Session,
    create=lambda user, _person, data: outreach.record_session(user, data),
    update=lambda user, record, data: outreach.record_session(user, data, record),
)
CONTACTS = Kind(
    "contacts",
    gettext_lazy("Outreach contacts"),
    ContactInput.columns(),
    required=("source_key", "site", "date", "topic"),
    model=Contact,
    create=lambda user, _person, data: outreach.record_contact(user, data),
    update=lambda user, record, data: outreach.record_contact(user, data, record),
)
TRAININGS = Kind(
    "trainings",
    gettext_lazy("Trainings"),
    TrainingInput.columns(),
    required=("worker", "course", "date"),
    key=("worker", "course", "date"),
    model=Training,
    create=lambda user, _person, data: outreach.record_training(user, data),
    update=lambda user, record, data: outreach.record_training(user, data, record),
    site="worker__site",
)
WEEKLY = Kind(
    "weekly",
    gettext_lazy("Weekly site reports"),
    ("site", "week", "condition", "sex", "age_group", "count", "note"),
    required=("site", "week"),
    key=("site", "week"),
    grouped=True,
    needs=(Can.SUBMIT_REPORTS,),
)
EPISODES = Kind(
    "episodes",
    gettext_lazy("Migration episodes"),
    ("person", *EPISODE_FIELDS),
    required=("person",),
    key=("person", "origin_country", "destination_country", "start_date"),
    model=MigrationEpisode,
    about_person=True,
    create=registry.add_episode,
    update=registry.update_episode,
    # Comparing a row with the stored episode ("unchanged" or "updated") tells its status.
    needs=(Can.WRITE_PERSON, Can.SEE_MIGRATION_STATUS),
)
# The people kind is written by the pipeline itself (identifier links, duplicates).
PEOPLE = Kind(
    "people",
    gettext_lazy("People"),
    (
        "registration_site",
        "name",
        "latin_name",
        "sex",
        "birth_date",
        "birth_date_precision",
        "nationality",
        "languages",
        "contact",
        "identifier_type",
        "identifier_country",
        "identifier_value",
        "migration_status",
        "origin_country",
        "destination_country",
        "occupation_sector",
        "migration_start",
    ),
    required=("source_key", "name", "registration_site"),
)


class _Kinds(Mapping[str, Kind]):
    """Every kind of import by name, made on first use (the care records' once the record
    kinds are declared, in AppConfig.ready())."""

    @cached_property
    def _by_name(self) -> dict[str, Kind]:
        kinds = (PEOPLE, EPISODES, *_records(), WORKERS, SESSIONS, CONTACTS, TRAININGS, WEEKLY)
        return {k.name: k for k in kinds}

    def __getitem__(self, name: str) -> Kind:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


KINDS = _Kinds()
