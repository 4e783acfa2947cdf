"""Encrypted backups that restore into an empty database, on SQLite or PostgreSQL.

A backup is every table but the ones `migrate` rebuilds (content types, permissions), as
Django's JSON Lines fixture with natural foreign keys (see serializer.py), compressed and
encrypted as it is written: no part of it is ever on disk in the clear, not even in a
temporary file, and neither side holds the database in memory (rows stream through a batch
of the database's at a time, the file a chunk at a time). It is
written beside the file it is to become and renamed when complete, so a killed backup leaves
at most a partial file, encrypted. Identifiers and migration status are written decrypted
inside the backup (so it restores under other field keys) and are only ever stored encrypted,
by this key.

The file (format 2)::

    b"MHIS-BACKUP 2\\n" | salt (32 bytes) | key check (32 bytes) | chunk 0 | chunk 1 | … | last

The operator's key file holds a Fernet key (32 random bytes, `new_key`). HKDF-SHA256 of it
with the file's random salt gives the file's own AES-256-GCM key and a key check, so a wrong
key is told apart from a damaged file before anything is read. The gzip stream of the
records is cut into chunks of CHUNK bytes (the last one CHUNK or fewer, possibly none), each
sealed with AES-GCM under the nonce (chunk number, last-chunk flag) with the header as
associated data (the "STREAM" construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in
age and Tink): a chunk altered, moved, repeated or left out, and a file cut short or carried
on, fails to open. Restore writes in one transaction, so such a file restores nothing.
"""

from __future__ import annotations

import base64
import hmac
import io
import os
import tempfile
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from mhis.events import EVERYTHING, announce

MAGIC = b"MHIS-BACKUP 2\n"
EARLIER = (b"MHIS-BACKUP 1\n",)  # formats this version no longer reads
SALT = 32
CHECK = 32
CHUNK = 64 * 1024  # bytes of compressed records in each sealed chunk
TAG = 16  # what AES-GCM adds to each
FORMAT = "mhis-jsonl"  # Django's JSON Lines, times to the microsecond (see serializer.py)
# Rebuilt by `migrate` in every database, and referred to by natural key in the backup.
REBUILT = ["contenttypes.contenttype", "auth.permission"]
# The task queue (mhis.work) is not kept: a restored database must not run again the work that
# was queued or running when the backup was written (the backup's own task among it).
NOT_KEPT = [*REBUILT, "django_tasks_database.dbtaskresult", "work.lease", "work.scheduled"]


def new_key(path: Path) -> None:
    """Write a new backup key to `path`, readable by its owner only."""
    path = Path(path)
    if path.exists():
        raise ValidationError({"key": _("%(path)s exists already.") % {"path": path}})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key() + b"\n")


def _key(key_file: Path) -> bytes:
    """The 32 bytes of the operator's key (a Fernet key, as `new_key` writes it)."""
    try:
        text = Path(key_file).read_bytes().strip()
        Fernet(text)  # refuses anything but 32 bytes in URL-safe base64
    except FileNotFoundError:
        raise ValidationError({"key": _("No key file at %(path)s.") % {"path": key_file}}) from None
    except (ValueError, TypeError):
        raise ValidationError(
            {"key": _("%(path)s does not hold a backup key.") % {"path": key_file}}
        ) from None
    return base64.urlsafe_b64decode(text)


def _file_keys(key: bytes, salt: bytes) -> tuple[AESGCM, bytes]:
    """The file's AES-GCM key and its key check, both from the operator's key and the salt."""
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=MAGIC).derive(key)
    return AESGCM(derived[:32]), derived[32:]


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _Sealing(io.RawIOBase):
    """Compresses what is written to it and seals it chunk by chunk into `sink`."""

    def __init__(self, sink, aead: AESGCM, header: bytes):
        self._sink, self._aead, self._header = sink, aead, header
        self._zip = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip
        self._pending = bytearray()
        self._number = 0
        self._done = False

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if not self._done:  # after the last chunk (or a failure) nothing more goes in
            self._add(self._zip.compress(data))
        return len(data)

    def _add(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) > CHUNK:  # more to come after it: not the last
            self._seal(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]

    def _seal(self, plain: bytes, *, last: bool) -> None:
        self._sink.write(self._aead.encrypt(_nonce(self._number, last), plain, self._header))
        self._number += 1

    def finish(self) -> None:
        self._add(self._zip.flush())
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()
        self._done = True

    def abandon(self) -> None:
        self._done = True


class Refused(Exception):
    """The backup cannot be read; `message` says why, naming the file."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Opening(io.RawIOBase):
    """Reads a backup: checks the header and the key, then opens and decompresses one chunk
    at a time, handing out only what has been opened. Raises Refused naming the file."""

    def __init__(self, source, name: str, key: bytes, key_file: Path):
        self._source, self._name = source, name
        magic = source.read(len(MAGIC))
        if magic in EARLIER:
            raise Refused(
                _(
                    "%(file)s was written by an earlier version of MHIS (backup format 1): restore it with that version, then back it up again with this one."
                )
                % {"file": name}
            )
        if magic != MAGIC:
            raise Refused(_("%(file)s is not an MHIS backup.") % {"file": name})
        rest = source.read(SALT + CHECK)
        if len(rest) < SALT + CHECK:
            raise self._cut_short()
        self._aead, check = _file_keys(key, rest[:SALT])
        if not hmac.compare_digest(check, rest[SALT:]):
            raise Refused(
                _(
                    "%(file)s does not open with the key in %(key)s: the wrong key (it was written with another), or its first bytes were altered."
                )
                % {"file": name, "key": key_file}
            )
        self._header = magic + rest
        self._offset = len(self._header)
        self._number = 0
        self._next = source.read(CHUNK + TAG)
        self._last_opened = False
        self._unzip = zlib.decompressobj(31)
        self._plain, self._at = b"", 0

    def _cut_short(self) -> Refused:
        return Refused(
            _("%(file)s is cut short: it ends before its last part.") % {"file": self._name}
        )

    def _damaged(self) -> Refused:
        return Refused(
            _("%(file)s is damaged or was altered at byte %(offset)s.")
            % {"file": self._name, "offset": f"{self._offset:,}"}
        )

    def _open_chunk(self) -> bytes:
        sealed = self._next
        if not sealed:
            raise self._cut_short()
        self._next = self._source.read(CHUNK + TAG)
        last = not self._next
        try:
            plain = self._aead.decrypt(_nonce(self._number, last), sealed, self._header)
        except InvalidTag:
            if not last:
                raise self._damaged() from None
            try:  # a whole chunk, but not sealed as the last: the file was cut after it
                self._aead.decrypt(_nonce(self._number, False), sealed, self._header)
            except InvalidTag:
                if len(sealed) < CHUNK + TAG:  # ends inside a chunk: a killed backup, or cut
                    raise Refused(
                        _(
                            "%(file)s is cut short or damaged: its last part, at byte %(offset)s, is incomplete or altered."
                        )
                        % {"file": self._name, "offset": f"{self._offset:,}"}
                    ) from None
                raise self._damaged() from None
            raise self._cut_short() from None
        self._offset += len(sealed)
        self._number += 1
        self._last_opened = last
        return plain

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._at >= len(self._plain):
            if self._unzip.unconsumed_tail:
                compressed = self._unzip.unconsumed_tail
            elif self._last_opened:
                if not self._unzip.eof or self._unzip.unused_data:
                    raise self._damaged()
                return 0
            else:
                compressed = self._open_chunk()
            try:  # at most a chunk's worth at a time, however well it was compressed
                self._plain, self._at = self._unzip.decompress(compressed, CHUNK), 0
            except zlib.error:
                raise self._damaged() from None
        size = min(len(buffer), len(self._plain) - self._at)
        buffer[:size] = self._plain[self._at : self._at + size]
        self._at += size
        return size


def nightly(directory: Path, key_file: Path, day: str, keep: int) -> int:
    """The schedule's backup of `day` (``2026-12-04``): ``mhis-<day>.backup`` in `directory`,
    then the oldest of these files deleted past the newest `keep`; its size in bytes."""
    directory = Path(directory)
    size = backup(directory / f"mhis-{day}.backup", key_file)
    for old in sorted(directory.glob("mhis-????-??-??.backup"))[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return size


def backup(out: Path, key_file: Path) -> int:
    """Write an encrypted backup of the whole database to `out`; returns its size in bytes.

    The records go from the database through compression and encryption straight into a
    file beside `out` (owner-only), renamed to `out` once complete: nothing is ever written
    in the clear, and a killed backup leaves at most a partial encrypted file."""
    key = _key(key_file)
    out = Path(out)
    salt = os.urandom(SALT)
    aead, check = _file_keys(key, salt)
    header = MAGIC + salt + check
    try:
        fd, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    except OSError as exc:
        raise ValidationError(
            {"out": _("Cannot write %(file)s: %(error)s.") % {"file": out, "error": exc.strerror}}
        ) from None
    sealing = None
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(header)
            sealing = _Sealing(sink, aead, header)
            records = io.TextIOWrapper(
                io.BufferedWriter(sealing, CHUNK), encoding="utf-8", newline="\n"
            )
            call_command(
                "dumpdata",
                natural_foreign=True,
                exclude=NOT_KEPT,
                format=FORMAT,
                stdout=records,
                verbosity=0,
            )
            records.flush()
            sealing.finish()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, out)
    except BaseException:
        if sealing is not None:
            sealing.abandon()
        Path(partial).unlink(missing_ok=True)
        raise
    return out.stat().st_size


def _backed_up():
    """The models a backup holds: every table but those `migrate` rebuilds and the queue."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in NOT_KEPT
    ]


def _load(records) -> None:
    """Save every record of `records` (lines of the fixture) as `loaddata` would: raw saves
    with constraint checks deferred to the end, forward references resolved after, then the
    keys' sequences moved past what was restored."""
    models, deferred = set(), []
    with connection.constraint_checks_disabled():
        for record in serializers.deserialize(FORMAT, records, handle_forward_references=True):
            record.save()
            models.add(type(record.object))
            if record.deferred_fields:
                deferred.append(record)
        for record in deferred:
            record.save_deferred_fields()
    connection.check_constraints(table_names=[model._meta.db_table for model in models])
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def restore(source: Path, key_file: Path) -> int:
    """Restore a backup into this (migrated, empty) database, in one transaction; returns
    the number of objects written. Refuses a database that already holds data, and a file
    that is not a whole backup written with this key (writing nothing)."""
    key = _key(key_file)
    source = Path(source)
    try:
        stream = source.open("rb")
    except OSError as exc:
        raise ValidationError(
            {
                "file": _("Cannot read %(file)s: %(error)s.")
                % {"file": source, "error": exc.strerror}
            }
        ) from None
    with stream:
        try:
            opening = _Opening(stream, str(source), key, Path(key_file))
        except Refused as exc:
            raise ValidationError({"file": exc.message}) from None
        occupied = [model._meta.label for model in _backed_up() if model._base_manager.exists()]
        if occupied:
            raise ValidationError(
                {
                    "database": _("Restore into an empty database: %(tables)s hold data.")
                    % {"tables": ", ".join(occupied[:5])}
                }
            )
        records = io.TextIOWrapper(
            io.BufferedReader(opening, CHUNK), encoding="utf-8", newline="\n"
        )
        try:
            with transaction.atomic():
                _load(records)
                announce(EVERYTHING, days=None)  # whatever was cached is recomputed
                if records.read(1):  # everything was read, so the last chunk was opened
                    raise opening._damaged()
        except Refused as exc:
            raise ValidationError({"file": exc.message}) from None
        except (DeserializationError, DatabaseError, ValueError) as exc:
            problem = " ".join(str(exc).split())[:300]
            raise ValidationError(
                {
                    "file": _(
                        "%(file)s holds a record this database cannot take (%(problem)s): was it written by another version of MHIS?"
                    )
                    % {"file": source, "problem": problem}
                }
            ) from None
    # The tables were empty: what they hold now is what was restored.
    return sum(model._base_manager.count() for model in _backed_up())
