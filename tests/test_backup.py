"""`mhis backup` and `mhis restore`: an encrypted backup restores into an empty database with
every table as it was, on SQLite and on PostgreSQL."""

import os
import signal
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from mhis.linkage.models import CandidatePair
from mhis.linkage.services import decide, run_linkage
from mhis.registry.models import Identifier, Person

pytestmark = pytest.mark.django_db(transaction=True)


def _natural(model, pk):
    if pk is None:
        return None
    if model is ContentType:
        return tuple(ContentType.objects.filter(pk=pk).values_list("app_label", "model")[0])
    return tuple(
        Permission.objects.filter(pk=pk).values_list(
            "content_type__app_label", "content_type__model", "codename"
        )[0]
    )


def snapshot() -> dict[str, list]:
    """Every table's rows, in key order; content types and permissions (rebuilt by
    `migrate`, so numbered anew) by their natural keys, wherever they are referred to;
    many-to-many links by what they link (the fixture format does not keep their ids)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model in (ContentType, Permission):
            tables[label] = sorted(_natural(model, pk) for pk in model._base_manager.values_list("pk", flat=True))  # fmt: skip
            continue
        renumbered = {
            f.attname: f.related_model
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in (ContentType, Permission)
        }
        rows = []
        for row in model._base_manager.order_by("pk").values():
            for column, target in renumbered.items():
                row[column] = _natural(target, row[column])
            rows.append(row)
        if model._meta.auto_created:  # a many-to-many link: its own number is nobody's key
            rows = sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id")) for r in rows)
        tables[label] = rows
    return tables


@pytest.fixture
def filled(tmp_path):
    """The tiny demo world (people, care, surveillance, programmes, outreach, users), a
    linkage run, and one merge."""
    call_command("demo", "--size", "tiny", "--seed", "3", "--out", str(tmp_path), verbosity=0)
    run_linkage()
    pair = CandidatePair.objects.filter(status="review").order_by("-probability").first()
    if pair is not None:
        from mhis.access.models import User

        decide(User.objects.get(username="admin"), pair, "same", "backup test")
    return tmp_path


def test_a_backup_restores_into_an_empty_database_with_every_table_as_it_was(filled, tmp_path):
    key, out = tmp_path / "backup.key", tmp_path / "mhis.backup"
    before = snapshot()
    filled_tables = [label for label, rows in before.items() if rows]
    assert len(filled_tables) >= 40, f"too few tables hold rows to prove much: {filled_tables}"
    call_command("backup", str(out), key_file=str(key), new_key=True, verbosity=0)
    assert key.stat().st_mode & 0o077 == 0

    # Encrypted: no name and no identifier can be read in the file.
    raw = out.read_bytes()
    person = Person.objects.exclude(display_latin="").first()
    identifier = Identifier.objects.first()
    assert person.display_latin.encode() not in raw and identifier.value.encode() not in raw

    call_command("flush", interactive=False, verbosity=0)
    assert Person.objects.count() == 0
    call_command("restore", str(out), key_file=str(key), verbosity=0)
    after = snapshot()
    assert set(after) == set(before)
    different = [label for label in before if before[label] != after[label]]
    assert different == [], f"tables that differ after the restore: {different}"


def test_restore_refuses_a_wrong_key_a_foreign_file_and_a_database_with_data(filled, tmp_path):
    key, other, out = tmp_path / "a.key", tmp_path / "b.key", tmp_path / "mhis.backup"
    call_command("backup", str(out), key_file=str(key), new_key=True, verbosity=0)
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(out), key_file=str(key), new_key=True, verbosity=0)
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", str(out), key_file=str(key), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("backup", str(tmp_path / "unused"), key_file=str(other), new_key=True, verbosity=0)
    with pytest.raises(CommandError, match="wrong key"):
        call_command("restore", str(out), key_file=str(other), verbosity=0)
    foreign = tmp_path / "foreign"
    foreign.write_text("name,birth\n")
    with pytest.raises(CommandError, match="not an MHIS backup"):
        call_command("restore", str(foreign), key_file=str(key), verbosity=0)
    with pytest.raises(CommandError, match="No key file"):
        call_command("restore", str(out), key_file=str(Path(tmp_path / "missing")), verbosity=0)
    assert Person.objects.count() == 0  # nothing half-written


# -- nothing in the clear on disk, and damaged files refused ---------------------------------

HEADER = len(b"MHIS-BACKUP 2\n") + 32 + 32  # magic, salt, key check
SEALED = 64 * 1024 + 16  # a chunk of the file: 64 KiB sealed with a 16-byte tag


def _markers() -> list[bytes]:
    """Text of the database that a reader of the disk must never find: a person's name and an
    identifier (stored encrypted, so only a backup's records hold them in the clear)."""
    person = Person.objects.exclude(display_latin="").first()
    return [person.display_latin.encode(), Identifier.objects.first().value.encode()]


def _clear_text(path: Path, markers: list[bytes]) -> list[bytes]:
    """The markers `path` holds, read as it is and, when it starts like gzip, decompressed as
    far as it goes."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data += zlib.decompressobj(31).decompress(data)
    return [m for m in markers if m in data]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The temporary directory of everything the test runs (TMPDIR and Python's own)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


_WRITTEN: list[str] | None = None  # files opened for writing, while a test watches
_HOOKED = False
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


def _audit(event, args):
    if event == "open" and _WRITTEN is not None:
        path, _mode, flags = args
        if isinstance(path, str | bytes | os.PathLike) and (flags or 0) & _WRITING:
            _WRITTEN.append(os.fsdecode(path))


def test_while_a_backup_runs_no_file_but_its_encrypted_output_is_written(filled, tmp_path, scratch):
    from mhis.maintenance.services import new_key

    global _WRITTEN, _HOOKED
    if not _HOOKED:  # an audit hook stays for the life of the process: added once
        sys.addaudithook(_audit)
        _HOOKED = True
    key, folder = tmp_path / "backup.key", tmp_path / "backups"
    folder.mkdir()
    new_key(key)
    _WRITTEN = []
    try:
        call_command("backup", str(folder / "mhis.backup"), key_file=str(key), verbosity=0)
    finally:
        written, _WRITTEN = _WRITTEN, None
    # Python's compiled modules aside, one file is written: the backup, under a temporary
    # name beside it, renamed when complete.
    written = [Path(p) for p in written if "__pycache__" not in p]
    assert len(written) == 1, f"files written during the backup: {written}"
    assert written[0].parent == folder and written[0].name.endswith(".partial")
    assert [p.name for p in folder.iterdir()] == ["mhis.backup"]
    assert (folder / "mhis.backup").stat().st_mode & 0o077 == 0
    assert list(scratch.iterdir()) == []
    assert _clear_text(folder / "mhis.backup", _markers()) == []


@pytest.mark.slow
def test_a_backup_killed_midway_leaves_a_partial_encrypted_file_and_nothing_in_the_clear(
    filled, tmp_path, scratch
):
    from mhis.maintenance.services import backup, new_key

    key, folder = tmp_path / "backup.key", tmp_path / "backups"
    folder.mkdir()
    new_key(key)
    markers = _markers()
    pid = os.fork()
    if pid == 0:  # the child backs up until it is killed, as `mhis backup` would
        try:
            _own_connection()
            backup(folder / "mhis.backup", key)
        finally:
            os._exit(0)
    try:
        deadline = time.monotonic() + 300
        while not (partial := [p for p in folder.iterdir() if p.stat().st_size > HEADER + SEALED]):
            assert os.waitpid(pid, os.WNOHANG) == (0, 0), "the backup ended before it was killed"
            assert time.monotonic() < deadline, "the backup wrote nothing for 5 minutes"
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
    finally:
        os.waitpid(pid, 0)
    # Killed with at least a chunk written: no backup, only its partial file, and no record
    # in the clear in it or in any temporary directory.
    files = [p for p in (*folder.rglob("*"), *scratch.rglob("*")) if p.is_file()]
    assert [p.name for p in files] == [partial[0].name] and partial[0].name.endswith(".partial")
    assert partial[0].stat().st_mode & 0o077 == 0
    assert {f.name: _clear_text(f, markers) for f in files} == {partial[0].name: []}
    # What the killed backup left restores nothing.
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError, match="cut short"):
        call_command("restore", str(partial[0]), key_file=str(key), verbosity=0)
    assert Person.objects.count() == 0


_KEPT = []


def _own_connection():
    """In a forked child: a database connection of its own. The parent's PostgreSQL session is
    left alone (closing it here would end it for the parent too); SQLite's test database lives
    in memory, which the child has a copy of."""
    from django.db import connection

    if connection.vendor == "postgresql":
        _KEPT.append(connection.connection)
        connection.connection = None


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    return data[:HEADER], [data[i : i + SEALED] for i in range(HEADER, len(data), SEALED)]


def _damaged(data: bytes):
    """Ways a backup's file can be damaged or tampered with, and what restore says of each."""
    header, chunks = _chunks(data)
    assert len(chunks) >= 3, "the backup is too small to move its parts about"
    flipped = bytearray(data)
    flipped[HEADER + SEALED + 100] ^= 0x01
    salted = bytearray(data)
    salted[20] ^= 0x01
    return {
        "a bit flipped in the second part": (bytes(flipped), f"damaged or was altered at byte {HEADER + SEALED:,}"),
        "cut after the second part": (header + chunks[0] + chunks[1], "is cut short"),
        "cut inside the last part": (data[:-10], "is cut short or damaged"),
        "cut inside the header": (data[:40], "is cut short"),
        "the second part left out": (header + chunks[0] + b"".join(chunks[2:]), "damaged"),
        "two parts swapped": (header + chunks[1] + chunks[0] + b"".join(chunks[2:]), f"damaged or was altered at byte {HEADER}"),
        "a part repeated at the end": (data + chunks[0], f"damaged or was altered at byte {HEADER + (len(chunks) - 1) * SEALED:,}"),
        "its salt altered": (bytes(salted), "the wrong key"),
        "another format": (b"MHIS-BACKUP 1\n" + data[14:], "earlier version of MHIS"),
        "not a backup": (b"name,birth\n", "is not an MHIS backup"),
    }  # fmt: skip


def test_a_damaged_or_tampered_backup_restores_nothing_and_says_why_in_one_line(
    filled, tmp_path, capsys
):
    from mhis.cli import main
    from mhis.maintenance.services import _backed_up

    key, other, out = tmp_path / "a.key", tmp_path / "b.key", tmp_path / "mhis.backup"
    call_command("backup", str(out), key_file=str(key), new_key=True, verbosity=0)
    call_command("backup", str(tmp_path / "unused"), key_file=str(other), new_key=True, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    capsys.readouterr()
    cases = {name: (tmp_path / name.replace(" ", "-"), data, said)
             for name, (data, said) in _damaged(out.read_bytes()).items()}  # fmt: skip
    cases["the wrong key"] = (out, None, "the wrong key")
    for name, (path, data, said) in cases.items():
        if data is not None:
            path.write_bytes(data)
        used = other if name == "the wrong key" else key
        with pytest.raises(SystemExit) as ended:
            main(["restore", str(path), "--key-file", str(used)])
        error = capsys.readouterr().err
        assert ended.value.code == 1, name
        assert error.count("\n") == 1 and "Traceback" not in error, f"{name}: {error}"
        assert error.startswith(f"CommandError: {path} ") and said in error, f"{name}: {error}"
        assert sum(m._base_manager.count() for m in _backed_up()) == 0, name
    # The file untouched still restores.
    main(["restore", str(out), "--key-file", str(key)])
    assert Person.objects.exists()
