"""Checking the next batch of a people import in a second process while this one is written
(docs/decisions/0035-import-checked-ahead.md).

The checks of a row (the registration rules, `registry.services.person_fields`) are plain
Python once the sites the rows name and the importer's places are known; writing a batch is
mostly the database's work. A forked process checks batch n+1 while the importing process
writes batch n, and hands back, for each row, what the same call made in the importing
process would have given: the row checked, or the messages it was refused with.

The importing process stays the only one that writes, and decides everything: a row the
checker did not check (it needed the database, or the checker is gone) is checked where it
is written, as every row is without a checker, so the results are the same either way. The
checker never touches the database: a query there is refused before it reaches the driver
(the connection it inherited is the importer's, and a second user of it would corrupt it).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections

from mhis.registry.contracts import person_from_flat, site_with_code
from mhis.registry.search import identifier_hash
from mhis.registry.services import name_keys, person_fields, ready_registrations
from mhis.registry.validation import one_day

log = logging.getLogger(__name__)

# How long the importer waits for the checks of a batch before checking it itself.
PATIENCE = 60.0

# A row to check: (key, row hash, the row's values by field); what came of it: ("ok", the
# row checked) or ("refused", {field path: [messages]}), by (key, row hash).
Row = tuple[str, str, dict[str, str]]
Checked = dict[tuple[str, str], tuple[str, Any]]


class _NoDatabase(Exception):
    """The checker reached for the database: the row is left to the importer."""


def _refuse_queries(execute, sql, params, many, context):
    raise _NoDatabase(sql)


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A refusal's messages by field path ("" for the row as a whole)."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}


def check_rows(user, rows: Iterable[Row], sites: dict) -> Checked:
    """What `person_fields` makes of each row, keyed by (key, row hash); rows it could not
    check without the database are left out."""
    out: Checked = {}
    accepted: list[dict] = []
    with one_day():
        for key, row_hash, values in rows:
            try:
                cleaned = person_fields(user, person_from_flat(values), sites=sites)
                cleaned["name_keys"] = name_keys(cleaned["names"])  # as register_many would
                for identifier in cleaned.get("identifiers") or ():
                    identifier["value_hash"] = identifier_hash(identifier["normal"])
                out[(key, row_hash)] = ("ok", cleaned)
                accepted.append(cleaned)
            except ValidationError as exc:
                out[(key, row_hash)] = ("refused", errors_of(exc))
            except Exception:  # noqa: S112 - left to the importer, which meets it itself
                continue
    _make_ready(user, accepted)
    return out


_PLAIN = (str, int, float, bool, bytes, type(None))


def _plain(entry: dict) -> bool:
    """Whether rows made ready hold only plain values (handed over as they are)."""
    for name, rows in entry.items():
        if name == "uuid":
            continue
        for row in rows if isinstance(rows, list) else [rows]:
            if not isinstance(row, str) and not all(isinstance(v, _PLAIN) for v in row):
                return False
    return True


def _make_ready(user, accepted: list[dict]) -> None:
    """The rows the accepted registrations write, converted and encrypted here
    (`registry.services.ready_registrations`), so that the importer only inserts them; a
    registration whose rows hold anything but plain values is left to the importer."""
    try:
        ready = ready_registrations(user, accepted)
    except Exception:  # the importer makes them ready itself
        log.warning("The import's checker could not prepare rows", exc_info=True)
        return
    for cleaned, entry in zip(accepted, ready, strict=True):
        if _plain(entry):
            cleaned["ready"] = entry


def _serve(pipe, theirs, user) -> None:
    """The checker: batches in, their checks out, until told to stop (None) or the importer
    is gone (the end of the pipe it inherited of the importer's is closed here first, so an
    importer killed outright leaves it at the end of its pipe, and it ends)."""
    theirs.close()
    for alias in connections:  # the importer's connections: never used, never closed here
        connections[alias].execute_wrappers.append(_refuse_queries)
    while True:
        try:
            task = pipe.recv()
        except EOFError:
            return
        if task is None:
            return
        rows, sites = task
        try:
            pipe.send(check_rows(user, rows, sites))
        except Exception:  # the importer checks the batch itself
            pipe.send({})


@contextlib.contextmanager
def set_aside() -> Iterator[None]:
    """A large import with the process's heap as it was set aside from the garbage collector:
    what the import makes is collected as usual, but the objects that were there before (the
    application's modules, models and caches: most of the heap) are not scanned again and
    again while it runs, nor touched in a forked checker (whose memory then stays shared).
    Garbage is collected first, so that nothing set aside is garbage; all is given back at
    the end."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def enabled(total: int, batch: int) -> bool:
    """Whether an import of `total` rows is checked ahead: more than one batch, a platform
    that forks, and not switched off (MHIS_IMPORT_CHECK_AHEAD=0)."""
    return (
        total > batch
        and settings.MHIS_IMPORT_CHECK_AHEAD
        and hasattr(os, "fork")
        and "fork" in multiprocessing.get_all_start_methods()
    )


class Ahead:
    """A checker process for one import: `submit` a batch's rows, then `take` its checks
    before submitting the next. One batch at a time is in hand (memory stays flat), and the
    importer never sends while the checker may be sending, so neither waits on the other.
    Its `sites` (code -> Place) are filled here and handed over with each batch."""

    def __init__(self, user, sites: dict):
        self.user, self.sites = user, sites
        self.sent = 0
        self.process = None
        self.pipe = None

    def start(self) -> Ahead:
        _warm(self.user)
        context = multiprocessing.get_context("fork")
        mine, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, mine, self.user), daemon=True)
        self.process.start()
        theirs.close()
        self.pipe = mine
        return self

    def submit(self, rows: list[Row]) -> None:
        """Check `rows` in the checker, knowing the sites they name (looked up here)."""
        for code in {values.get("registration_site", "") for _k, _h, values in rows}:
            if code and code not in self.sites:
                self.sites[code] = site_with_code(code)
        if self.pipe is None:
            self.sent += 1  # nothing to take: `take` gives nothing for it
            return
        try:
            self.pipe.send((rows, dict(self.sites)))
        except (OSError, ValueError):
            self._stop("could not be reached")
        self.sent += 1

    def take(self) -> Checked:
        """The checks of the oldest batch submitted ({} when the checker is gone)."""
        self.sent -= 1
        if self.pipe is None:
            return {}
        try:
            if self.pipe.poll(PATIENCE):
                return self.pipe.recv()
        except (OSError, EOFError):
            pass
        self._stop("did not answer")
        return {}

    def _stop(self, why: str) -> None:
        log.warning("The import's checker %s; the rows are checked where they are written", why)
        self.close()

    def close(self) -> None:
        if self.pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                self.pipe.send(None)
            self.pipe.close()
            self.pipe = None
        if self.process is not None:
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None


def _warm(user) -> None:
    """Read before forking what the checks read of the importer (their places), so that the
    checker finds it at hand."""
    from mhis.access.services import scope_paths, scope_site_ids

    if user.is_authenticated:
        scope_paths(user)
        scope_site_ids(user)


def checker(user, total: int, batch: int, sites: dict) -> Ahead | None:
    """A started checker for an import of `total` rows, or None where there is none."""
    if not enabled(total, batch):
        return None
    try:
        return Ahead(user, sites).start()
    except OSError:
        log.warning("No checker process could be started; the rows are checked as written")
        return None
