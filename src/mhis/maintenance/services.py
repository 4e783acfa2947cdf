"""Encrypted backups that restore into an empty database, on SQLite or PostgreSQL.

A backup is every table but the ones `migrate` rebuilds (content types, permissions), as
Django's JSON fixture with natural foreign keys, gzip-compressed, then encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under a key the operator holds, in chunks of 1 MiB: the file
is a header line and one token per line, so neither side holds the whole database in memory.
Identifiers and migration status are written decrypted inside the backup (so it restores
under other field keys) and are only ever stored encrypted, by this key.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext as _

HEADER = b"MHIS-BACKUP 1\n"
CHUNK = 1 << 20
FORMAT = "mhis-json"  # Django's JSON, times to the microsecond (see serializer.py)
# Rebuilt by `migrate` in every database, and referred to by natural key in the backup.
REBUILT = ["contenttypes.contenttype", "auth.permission"]
DUMP = f"mhis.{FORMAT}.gz"  # the name tells dumpdata and loaddata the format and compression


def new_key(path: Path) -> None:
    """Write a new backup key to `path`, readable by its owner only."""
    path = Path(path)
    if path.exists():
        raise ValidationError({"key": _("%(path)s exists already.") % {"path": path}})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key() + b"\n")


def _fernet(key_file: Path) -> Fernet:
    try:
        return Fernet(Path(key_file).read_bytes().strip())
    except FileNotFoundError:
        raise ValidationError({"key": _("No key file at %(path)s.") % {"path": key_file}}) from None
    except (ValueError, TypeError):
        raise ValidationError({"key": _("%(path)s does not hold a backup key.") % {"path": key_file}}) from None  # fmt: skip


def backup(out: Path, key_file: Path) -> int:
    """Write an encrypted backup of the whole database to `out`; returns its size in bytes.
    The file appears complete or not at all (written beside it, then renamed)."""
    fernet = _fernet(key_file)
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / DUMP
        call_command("dumpdata", natural_foreign=True, exclude=REBUILT, output=str(dump),
                     format=FORMAT, verbosity=0)  # fmt: skip
        partial = out.with_name(out.name + ".partial")
        with dump.open("rb") as source, partial.open("wb") as sink:
            sink.write(HEADER)
            while chunk := source.read(CHUNK):
                sink.write(fernet.encrypt(chunk) + b"\n")
        partial.replace(out)
    return out.stat().st_size


def _backed_up():
    """The models a backup holds: every table but those `migrate` rebuilds."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in REBUILT
    ]


def restore(source: Path, key_file: Path) -> int:
    """Restore a backup into this (migrated, empty) database, in one transaction; returns
    the number of objects written. Refuses a database that already holds data."""
    fernet = _fernet(key_file)
    occupied = [model._meta.label for model in _backed_up() if model._base_manager.exists()]
    if occupied:
        raise ValidationError({"database": _("Restore into an empty database: %(tables)s hold data.")
                               % {"tables": ", ".join(occupied[:5])}})  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / DUMP
        with Path(source).open("rb") as lines, dump.open("wb") as sink:
            if lines.readline() != HEADER:
                raise ValidationError({"file": _("This is not an MHIS backup.")})
            for number, line in enumerate(lines, start=2):
                try:
                    sink.write(fernet.decrypt(line.strip()))
                except InvalidToken:
                    raise ValidationError({"key": _("Line %(n)s does not open with this key: a wrong key, or a damaged file.") % {"n": number}}) from None  # fmt: skip
        with transaction.atomic():
            call_command("loaddata", str(dump), verbosity=0)
    # The tables were empty: what they hold now is what was restored.
    return sum(model._base_manager.count() for model in _backed_up())
