"""Change events: write services say what they changed; subscribers hear it once it is committed.

A write service calls `announce(Model, days=…, people=…)` after writing. Nothing happens at
once: the change is delivered to the subscribers when the transaction commits (Django's
`on_commit`), so a write that is rolled back announces nothing and one that commits always
does. Outside a transaction the change is delivered straight away.

Subscribers register in their app's `AppConfig.ready()` with `subscribe(handler)`; a handler
takes a list of `Change`. A handler that fails is logged and does not undo the write, nor
keep the other handlers from hearing the change. A subscriber whose work belongs to the write
itself (revoking the links of a person whose consent was withdrawn) subscribes with
`at_once=True`: it hears each change when it is announced, inside the writer's transaction,
and its failure fails the write.

A bulk write wraps its work in `collecting()`: what is announced inside is merged by kind and
announced once when the block ends.

This module imports no app of MHIS, so every app may announce.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# The kind of a change that may have touched any record (a demo world built, a backup restored).
EVERYTHING = "*"


@dataclass(frozen=True)
class Change:
    """What changed: records of one kind (a model's label, `"care.encounter"`), dated on
    `days` (`None`: on any day), and the people whose own attributes changed (a subscriber
    that reads them on each of their records must treat all those records as changed); `by`
    is the user who made the change, when one did."""

    kind: str
    days: frozenset[date] | None = frozenset()
    people: frozenset[int] = frozenset()
    by: Any = field(default=None, compare=False)


Handler = Callable[[list[Change]], None]
_handlers: list[Handler] = []
_at_once: list[Handler] = []
_local = threading.local()


def subscribe(handler: Handler, *, at_once: bool = False) -> Handler:
    """Have `handler` hear every committed change (call from `AppConfig.ready()`); with
    `at_once`, every change as it is announced, inside the writer's transaction."""
    handlers = _at_once if at_once else _handlers
    if handler not in handlers:
        handlers.append(handler)
    return handler


def unsubscribe(handler: Handler) -> None:
    for handlers in (_handlers, _at_once):
        if handler in handlers:
            handlers.remove(handler)


def kind_of(what) -> str:
    """`"app.model"` for a model class or instance; a string is a kind already."""
    return what if isinstance(what, str) else what._meta.label_lower


def announce(
    what,
    *,
    days: Iterable[date | None] | None = (),
    people: Iterable[int | None] = (),
    by=None,
    using: str | None = None,
) -> None:
    """Announce a change of records of `what` (a model, or a kind): the dates they fall on
    (old and new alike; `days=None` for any day), the people whose attributes changed, and
    the user who changed them."""
    change = Change(
        kind_of(what),
        None if days is None else frozenset(d for d in days if d),
        frozenset(p for p in people if p),
        by,
    )
    for handler in list(_at_once):
        handler([change])
    collector = getattr(_local, "collectors", None)
    if collector:
        collector[-1].append(change)
        return
    transaction.on_commit(partial(_deliver, [change]), using=using)


def merge(changes: Iterable[Change]) -> list[Change]:
    """The changes of one kind made one: their days and people together."""
    merged: dict[str, Change] = {}
    for change in changes:
        seen = merged.get(change.kind)
        if seen is None:
            merged[change.kind] = change
            continue
        days = None if seen.days is None or change.days is None else seen.days | change.days
        by = seen.by if seen.by == change.by else None
        merged[change.kind] = Change(change.kind, days, seen.people | change.people, by)
    return list(merged.values())


@contextmanager
def collecting(using: str | None = None) -> Iterator[None]:
    """Announce what is announced inside the block once, merged, when the block ends (even
    when it ends with an error: what was written before may stay written)."""
    stack = getattr(_local, "collectors", None)
    if stack is None:
        stack = _local.collectors = []
    stack.append([])
    try:
        yield
    finally:
        changes = merge(stack.pop())
        if changes:
            if stack:
                stack[-1].extend(changes)
            else:
                transaction.on_commit(partial(_deliver, changes), using=using)


def _deliver(changes: list[Change]) -> None:
    for handler in list(_handlers):
        try:
            handler(changes)
        except Exception:
            logger.exception("A subscriber to change events failed: %r", handler)


class AnnouncesChanges:
    """A `ModelAdmin` mixin: every save and delete made in the admin site is announced, as a
    change of its model on any day."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        announce(obj, days=None)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        announce(obj, days=None)

    def delete_queryset(self, request, queryset):
        model = queryset.model
        super().delete_queryset(request, queryset)
        announce(model, days=None)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.has_changed():
                announce(formset.model, days=None)
