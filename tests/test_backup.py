"""`mhis backup` and `mhis restore`: an encrypted backup restores into an empty database with
every table as it was, on SQLite and on PostgreSQL."""

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
