"""Identifiers, migration status and contact are encrypted at rest; identifiers are searchable."""

import pytest
from django.db import connection

from mhis.crypto import decrypt, encrypt, keyed_hash

pytestmark = pytest.mark.django_db


def raw_rows(table, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed identifiers
        return [row[0] for row in cursor.fetchall()]


def test_identifier_value_is_not_in_the_database_in_clear(register):
    register(identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MC7654321"}])
    stored = raw_rows("registry_identifier", "value")
    hashes = raw_rows("registry_identifier", "value_hash")
    assert len(stored) == 1
    assert "MC7654321" not in stored[0] and "7654321" not in stored[0]
    assert "MC7654321" not in hashes[0]
    assert decrypt(stored[0]) == "MC7654321"


def test_migration_status_and_contact_are_not_in_the_database_in_clear(register):
    register(episodes=[{"status": "IRR", "origin_country": "MM"}], contact="+66 81 999 0000")
    [status] = raw_rows("registry_migrationepisode", "status")
    [contact] = raw_rows("registry_person", "contact")
    assert "IRR" not in status and decrypt(status) == "IRR"
    assert "999" not in contact


def test_encryption_is_randomised(settings):
    assert encrypt("IRR") != encrypt("IRR")


def test_keyed_hash_depends_on_the_key(settings):
    first = keyed_hash("MC7654321", purpose="identifier")
    settings.MHIS_HASH_KEY = "another-key"
    assert keyed_hash("MC7654321", purpose="identifier") != first


def test_encrypted_fields_cannot_be_filtered(register):
    from django.core.exceptions import FieldError

    from mhis.registry.models import MigrationEpisode

    register()
    with pytest.raises(FieldError):
        list(MigrationEpisode.objects.filter(status="REG_LAB"))


def test_old_values_stay_readable_after_key_rotation(register, settings):
    from cryptography.fernet import Fernet

    from mhis.registry.models import Identifier

    person = register(
        identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MC1111111"}]
    )
    settings.MHIS_FIELD_KEYS = [Fernet.generate_key().decode(), *settings.MHIS_FIELD_KEYS]
    assert Identifier.objects.get(person=person).value == "MC1111111"


def test_people_written_in_bulk_by_an_import_are_encrypted_the_same(people, tmp_path):
    from mhis.intake import services
    from mhis.registry.models import Person

    path = tmp_path / "bulk.csv"
    path.write_text(
        "source_key,name,registration_site,identifier_type,identifier_country,identifier_value,"
        "migration_status,contact\nK1,Aung Aung,MSOT-CLIN,passport,MM,MC7654321,IRR,+66 81 999 0000\n",
        encoding="utf-8",
    )
    services.run_import(people["clinician"], path, source="bulk")
    [value] = raw_rows("registry_identifier", "value")
    [status] = raw_rows("registry_migrationepisode", "status")
    [contact] = raw_rows("registry_person", "contact")
    assert "7654321" not in value and decrypt(value) == "MC7654321"
    assert "IRR" not in status and decrypt(status) == "IRR"
    assert "999" not in contact and decrypt(contact) == "+66 81 999 0000"
    person = Person.objects.get()
    assert person.identifiers.get().value_hash == keyed_hash("MC7654321", purpose="identifier")
