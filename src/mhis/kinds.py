"""The record kinds: each app declares once what it records about a person.

A kind names its model, the field that dates it, its input contract, how it is created and
changed, how the API shows it, its page form, whether it follows a merge and which indicator
source it feeds. The merge, the timeline, the page adders and editors, the imports and the
indicator cache read this registry instead of lists of their own. A link to a person that is
not a kind is declared as staying with the record it was made on (`stays`), with the reason;
tests/test_record_kinds.py fails for a link to a person that is neither.

Apps register in `AppConfig.ready()` (their `recordkinds` module); this module imports no
app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model, QuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class RecordKind:
    name: str  # "encounter": the type on the timeline, in page addresses and in the access log
    model_label: str  # "care.Encounter"
    label: StrOrPromise = ""
    person_field: str = "person"  # "encounter__person": reached through another record
    date_field: str | None = None  # what dates a record on the timeline and in indicators
    contract: type | None = None  # its input contract (mhis.contracts)
    change_contract: type | None = None  # what a change takes (default: `contract.update()`)
    create: Callable[..., Any] | None = None  # (user, person, data) -> record
    update: Callable[..., Any] | None = None  # (user, record, data) -> record
    output: Callable[..., Any] | None = None  # record -> what the API shows
    output_schema: type | None = None  # the API's schema of `output`
    plural: str = ""  # its path in the API ("encounters"): routes are made for it
    form: type | None = None  # its page form on the timeline (adds a record)
    change_form: type | None = None  # its page form to change a record (default: `form`)
    added: StrOrPromise = ""  # what the page says once a record is added
    add_title: StrOrPromise = ""  # the title of the adding form
    follows_merge: bool = True  # moves to the surviving record when two are merged
    indicators: str | None = None  # the indicator source whose cached periods it changes
    # The sites where a record makes its person known (each write links the person there).
    site_fields: tuple[str, ...] = ()
    on_timeline: bool = False
    related: tuple[str, ...] = ()  # select_related on the timeline
    prefetch: tuple[str, ...] = ()  # prefetch_related on the timeline
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    def records_of(self, person: Model) -> QuerySet[Any]:
        """The person's records of this kind, with what showing them reads."""
        return (
            self.model._default_manager.filter(**{self.person_field: person})
            .select_related(*self.related)
            .prefetch_related(*self.prefetch)
        )


_KINDS: dict[str, RecordKind] = {}
_STAYS: dict[tuple[str, str], str] = {}


def register(*kinds: RecordKind) -> None:
    for kind in kinds:
        known = _KINDS.get(kind.name)
        if known is not None and known != kind:
            raise ValueError(f"record kind {kind.name!r} is declared twice")
        _KINDS[kind.name] = kind


def stays(model_label: str, field_name: str, reason: str) -> None:
    """A link to a person that stays with the record it was made on through a merge."""
    _STAYS[(model_label, field_name)] = reason


def all_kinds() -> list[RecordKind]:
    return list(_KINDS.values())


def kind(name: str) -> RecordKind:
    return _KINDS[name]


def following_merge() -> list[RecordKind]:
    """The kinds whose records move to the survivor of a merge (a kind reached through
    another record moves with it)."""
    return [k for k in _KINDS.values() if k.follows_merge and "__" not in k.person_field]


def addable() -> list[RecordKind]:
    """The kinds added from a page form on the person's timeline, in declaration order."""
    return [k for k in _KINDS.values() if k.form is not None and k.create is not None]


def changeable() -> list[RecordKind]:
    """The kinds changed from a page form."""
    return [
        k for k in _KINDS.values() if (k.change_form or k.form) is not None and k.update is not None
    ]


def with_routes() -> list[RecordKind]:
    """The kinds the API lists, creates, reads and changes by the same routes."""
    return [k for k in _KINDS.values() if k.plural]


def on_timeline() -> list[RecordKind]:
    return [k for k in _KINDS.values() if k.on_timeline]


def at_sites() -> list[RecordKind]:
    """The kinds of event that happen to a person at a site."""
    return [k for k in _KINDS.values() if k.site_fields]


def feeding_indicators() -> list[RecordKind]:
    return [k for k in _KINDS.values() if k.indicators]


def kind_of_model(model: type[Model]) -> RecordKind | None:
    label = model._meta.label
    return next((k for k in _KINDS.values() if k.model_label == label), None)


def staying() -> dict[tuple[str, str], str]:
    return dict(_STAYS)
