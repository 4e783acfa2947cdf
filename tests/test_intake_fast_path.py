"""The fast people import (rows checked one batch ahead in a second process, names and dates
worked out once per spelling, rows streamed to the database in bulk) stores exactly what the
plain path stores: the same people, names, name keys, identifiers and episodes, the same
outcomes, and the same refusals on the same rows and columns, for a file mixing Burmese,
Thai, Khmer, Arabic and accented Latin names, bad rows, and rows repeated within the file.
Runs on SQLite and on PostgreSQL (scripts/with-postgres.sh)."""

import csv
from pathlib import Path

import pytest

from mhis import names as namelib
from mhis.crypto import keyed_hash
from mhis.intake import ahead, services
from mhis.registry.models import NameKey, Person, PersonSite
from mhis.registry.services import person_fields
from mhis.registry.validation import normalise_identifier

HEADER = ["source_key", "name", "latin_name", "registration_site", "sex", "birth_date",
          "nationality", "languages", "identifier_type", "identifier_country",
          "identifier_value", "migration_status", "origin_country", "destination_country"]  # fmt: skip

GOOD = [  # name, latin, sex, birth date, nationality, language, passport
    ("မောင်မောင်", "", "male", "1985-03-12", "MM", "my", "MA1234567"),
    ("နော်ဝါဝါမိုး", "Naw Wa Wa Moe", "female", "1992-07", "MM", "ksw", ""),
    ("ဦးကျော်မင်း", "", "male", "1970", "MM", "my", ""),
    ("สมชาย ใจดี", "", "male", "1988-11-02", "TH", "th", "AA7654321"),
    ("สมหญิง รักไทย", "Somying Rakthai", "female", "1995-01-30", "TH", "th", ""),
    ("សុខ ដារ៉ា", "", "female", "1990-05-05", "KH", "km", "N0012345"),
    ("ចាន់ សុភាព", "Chan Sophea", "male", "1979-12-24", "KH", "km", ""),
    ("محمد عبد الله", "", "male", "1983-06-15", "SY", "ar", "SY998877"),
    ("فاطمة الزهراء", "Fatima Al-Zahra", "female", "2001-09-09", "SY", "ar", ""),
    ("Nguyễn Thị Minh Khai", "", "female", "1994-04-04", "VN", "vi", ""),
    ("José María Pérez", "", "male", "1987-08-08", "HN", "es", "HN4455667"),
    ("Zoë Ærøskøbing-Łukasz", "", "female", "1999-02-28", "PL", "pl", ""),
    ("Aung Aung", "", "male", "1985-03-01", "MM", "my", ""),
    ("Aung Aung", "", "male", "1985-10-20", "MM", "my", ""),  # a possible duplicate of the last
]


def _rows(site: str) -> list[list[str]]:
    out = []
    for i, (name, latin, sex, born, country, language, passport) in enumerate(GOOD):
        out.append([f"F-{i:03d}", name, latin, site, sex, born, country, language,
                    "passport" if passport else "", country if passport else "", passport,
                    "REG_LAB", country, "TH"])  # fmt: skip
    base = ["X", "Min Thu", "", site, "male", "1990-01-01", "MM", "my", "", "", "", "REG_LAB", "MM", "TH"]  # fmt: skip

    def bad(key: str, **changes: str) -> list[str]:
        row = [*base]
        row[0] = key
        for column, value in changes.items():
            row[HEADER.index(column)] = value
        return row

    out += [
        bad("B-date", birth_date="1990-02-30"),
        bad("B-future", birth_date="2999-01-01"),
        bad("B-site", registration_site="NOPE-SITE"),
        bad("B-noname", name=""),
        bad("B-sex", sex="alien"),
        bad("B-passport", identifier_type="passport", identifier_value="P!!"),
        bad("B-override", name="Aung\u202eniW"),
        bad("B-country", nationality="XX"),
        bad("B-status", migration_status="NOT_A_STATUS"),
        [*bad("B-overflow"), "one value too many"],
    ]
    # Within the file: a row repeated as it was, a key given again with other values, and
    # another key carrying a passport given already (linked to its person).
    changed, linked = [*out[1]], [*out[3]]
    changed[HEADER.index("birth_date")] = "1992-08"
    linked[0] = "F-LINK"
    linked[HEADER.index("name")] = "Somchai Jaidee"
    return [*out, [*out[0]], changed, linked]


def write_file(path: Path, site: str) -> Path:
    rows = _rows(site)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def snapshot(job) -> dict:
    """What an import made, without ids or the site (each run imports at a site of its own):
    each row's outcome and refusals, and the person each row is about, as stored."""
    people = {}
    for person in Person.objects.filter(pk__in=job.rows.values("person_id")).prefetch_related(
        "names", "identifiers", "episodes"
    ):
        people[person.pk] = (
            person.display_name,
            person.display_latin,
            person.sex,
            person.birth_date,
            person.birth_date_precision,
            person.nationality,
            tuple(person.languages),
            tuple((n.text, n.latin, n.script, n.use) for n in person.names.order_by("pk")),
            tuple(sorted(NameKey.objects.filter(person=person).values_list("key", flat=True))),
            tuple(
                (i.type, i.issuing_country, i.value, i.value_hash)
                for i in person.identifiers.order_by("pk")
            ),
            tuple(
                (e.status, e.origin_country, e.destination_country)
                for e in person.episodes.order_by("pk")
            ),
            tuple(person.consents.order_by("pk").values_list("scope", "given_on", "withdrawn_on")),
            tuple(PersonSite.objects.filter(person=person).values_list("reason", flat=True)),
            person.created_at is not None and person.created_at == person.updated_at,
        )
    return {
        "rows": [
            (r.row, r.source_key, r.outcome, r.field, r.reason, people.get(r.person_id))
            for r in job.rows.order_by("row", "field")
        ],
        "people": sorted(people.values(), key=repr),
    }


def _clear_name_caches():
    for cached in (namelib._index_keys, namelib._latin_keys, namelib._clean_name,
                   namelib.detect_script, namelib.fold):  # fmt: skip
        cached.cache_clear()


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of four rows, so that a small file runs through many and the checker is used;
    counts the rows the checker handed back."""
    monkeypatch.setattr(services, "BATCH", 4)
    taken = Taken()
    original = ahead.Ahead.take

    def take(self):
        checked = original(self)
        taken.append(len(checked))
        taken.ready += sum(1 for done, cleaned in checked.values() if "ready" in cleaned)
        return checked

    monkeypatch.setattr(ahead.Ahead, "take", take)
    return taken


class Taken(list):
    """The number of rows the checker handed back, batch by batch; `ready`: how many of them
    came with their rows made ready for the database."""

    ready = 0


def test_the_fast_import_stores_exactly_what_the_plain_import_stores(
    people, world, settings, small_batches, tmp_path
):
    settings.MHIS_IMPORT_CHECK_AHEAD = True
    fast = services.run_import(
        people["clinician"], write_file(tmp_path / "fast.csv", "MSOT-CLIN"), source="mixed"
    )
    assert sum(small_batches) > 20  # the checker checked most rows, not the importer
    # … and made the rows of those it accepted ready for the database (encrypted included).
    assert small_batches.ready >= 12
    settings.MHIS_IMPORT_CHECK_AHEAD = False
    _clear_name_caches()
    plain = services.run_import(
        people["mm_clinician"], write_file(tmp_path / "plain.csv", "MWD-HOSP"), source="mixed"
    )
    assert snapshot(fast) == snapshot(plain)
    counts = services.summary(fast)
    assert counts == services.summary(plain)
    assert counts["rejected"] == 10
    assert counts["linked"] == 1 and counts["updated"] == 1 and counts["unchanged"] == 1
    assert counts.get("duplicate", 0) >= 1  # the two Aung Aung born in 1985
    assert counts.get("duplicate", 0) + counts["created"] == len(GOOD)


def test_refusals_name_the_row_and_column_with_the_registry_messages(
    people, settings, small_batches, tmp_path
):
    settings.MHIS_IMPORT_CHECK_AHEAD = True
    user = people["clinician"]
    job = services.run_import(user, write_file(tmp_path / "mixed.csv", "MSOT-CLIN"), source="m")
    refused = {(r.row, r.field): r.reason for r in job.rows.filter(outcome="rejected")}
    first_bad = len(GOOD) + 1
    assert set(refused) == {
        (first_bad, "birth_date"),
        (first_bad + 1, "birth_date"),
        (first_bad + 2, "registration_site"),
        (first_bad + 3, "name"),
        (first_bad + 4, "sex"),
        (first_bad + 5, "identifier_value"),
        (first_bad + 6, "name"),
        (first_bad + 7, "nationality"),
        (first_bad + 8, "migration_status"),
        (first_bad + 9, ""),
    }
    assert refused[(first_bad, "birth_date")] == "This date does not exist."
    assert refused[(first_bad + 1, "birth_date")] == "A date of birth cannot be in the future."
    assert refused[(first_bad + 2, "registration_site")] == "No site with this code in your places."
    assert "holds 15 values but the header names 14 columns" in refused[(first_bad + 9, "")]
    # Each refusal is what the registry itself says of the row (as a page would show it).
    with open(tmp_path / "mixed.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    from mhis.registry.contracts import person_from_flat

    for (number, field), reason in refused.items():
        if field in ("", "name") and number != first_bad + 6:
            continue  # refused by the import itself: a missing name, an overflowing row
        with pytest.raises(Exception) as refusal:
            person_fields(user, person_from_flat(rows[number - 1]))
        assert reason in " ".join(str(m) for m in refusal.value.messages)


def test_name_keys_and_identifiers_are_those_worked_out_afresh(
    people, settings, small_batches, tmp_path
):
    settings.MHIS_IMPORT_CHECK_AHEAD = True
    job = services.run_import(
        people["clinician"], write_file(tmp_path / "keys.csv", "MSOT-CLIN"), source="keys"
    )
    _clear_name_caches()
    people_made = Person.objects.filter(pk__in=job.rows.values("person_id")).prefetch_related(
        "names", "identifiers"
    )
    assert people_made.count() == len(GOOD)
    for person in people_made:
        expected: set[str] = set()
        for name in person.names.all():
            expected |= namelib.index_keys(name.text, name.latin)
        stored = set(NameKey.objects.filter(person=person).values_list("key", flat=True))
        assert stored == expected, person.display_name
        for identifier in person.identifiers.all():
            normal = normalise_identifier(identifier.value)
            assert identifier.value_hash == keyed_hash(normal, purpose="identifier")
    burmese = people_made.get(display_name="မောင်မောင်")
    assert burmese.names.get().script == "Mymr"
    assert people_made.get(display_name="محمد عبد الله").names.get().script == "Arab"
    assert people_made.get(display_name="Zoë Ærøskøbing-Łukasz").display_latin


def test_a_second_import_of_the_same_file_checks_only_what_changed_since(
    people, settings, small_batches, tmp_path
):
    settings.MHIS_IMPORT_CHECK_AHEAD = True
    path = write_file(tmp_path / "again.csv", "MSOT-CLIN")
    services.run_import(people["clinician"], path, source="again")
    small_batches.clear()
    again = services.run_import(people["clinician"], path, source="again")
    # Checked again: the rows refused last time (but the overflowing one, never read), and the
    # key the file gives twice with other values (its first row differs from what was kept).
    # Every row imported as it is in the file is passed over by its hash.
    assert sum(small_batches) == 9 + 1
    assert services.summary(again) == {"unchanged": 15, "updated": 2, "rejected": 10}


def _row_values(site: str) -> dict[str, str]:
    return dict(zip(HEADER, _rows(site)[0], strict=True))


def test_the_checker_never_queries_the_database_and_leaves_such_rows_to_the_importer(people):
    user = people["clinician"]
    checker = ahead.Ahead(user, {}).start()
    try:
        # No site looked up for it: checking the row would need the database.
        checker.pipe.send(([("F-000", "hash", _row_values("MSOT-CLIN"))], {}))
        checker.sent += 1
        assert checker.take() == {}
        checker.submit([("F-000", "hash", _row_values("MSOT-CLIN"))])  # the site looked up here
        ((outcome, cleaned),) = checker.take().values()
        assert outcome == "ok" and cleaned["registration_site"].code == "MSOT-CLIN"
        assert cleaned["name_keys"] and cleaned["names"][0]["script"] == "Mymr"
    finally:
        checker.close()
    # The importer's own connection is whole.
    assert Person.objects.count() == 0


def test_the_checker_ends_when_the_importer_is_gone(people):
    checker = ahead.Ahead(people["clinician"], {}).start()
    process = checker.process
    checker.pipe.close()  # as when the importing process is killed outright
    process.join(10)
    assert not process.is_alive()


def test_a_key_given_again_in_the_next_batch_updates_the_person_it_made(
    people, settings, small_batches, tmp_path
):
    """The checker's batch is read before the batch in front of it is written: a key given at
    the end of one batch and again at the start of the next is still found as imported."""
    settings.MHIS_IMPORT_CHECK_AHEAD = True
    rows = _rows("MSOT-CLIN")[:3]
    again = [*rows[0]]
    again[0] = "K-EDGE"
    changed = [*again]
    changed[HEADER.index("birth_date")] = "1985-03-13"
    rows = [*rows, again, changed, *_rows("MSOT-CLIN")[4:7], changed]  # rows 4, 5 and 9
    path = tmp_path / "edge.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    job = services.run_import(people["clinician"], path, source="edge")
    outcomes = dict(job.rows.filter(source_key="K-EDGE").values_list("row", "outcome"))
    assert outcomes[5] == "updated" and outcomes[9] == "unchanged"
    assert outcomes[4] in ("created", "duplicate", "linked")
    made = job.rows.get(row=4).person
    assert str(made.birth_date) == "1985-03-13"


def test_the_planner_statistics_are_taken_again_after_the_first_batch_and_at_the_end(
    people, settings, small_batches, tmp_path
):
    """On PostgreSQL an import analyses the tables it reads once its first batch is written
    (they may have looked empty) and when it ends; a one-batch import, an import that writes
    nothing new (the same file again) and SQLite never do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MHIS_IMPORT_CHECK_AHEAD = True
    path = write_file(tmp_path / "many.csv", "MSOT-CLIN")
    with CaptureQueriesContext(connection) as many:
        services.run_import(people["clinician"], path, source="many")
    with CaptureQueriesContext(connection) as again:  # the same file: nothing new is written
        services.run_import(people["clinician"], path, source="many")
    assert not [q for q in again.captured_queries if q["sql"].startswith("ANALYZE")]
    analysed = [q["sql"] for q in many.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analysed == []
        return
    assert len(analysed) == 2
    assert all(
        '"intake_sourcerecord"' in sql and '"registry_identifier"' in sql for sql in analysed
    )
    with CaptureQueriesContext(connection) as one:
        services.BATCH = 1000  # restored by the fixture's monkeypatch
        services.run_import(
            people["clinician"], write_file(tmp_path / "one.csv", "MSOT-CLIN"), source="one"
        )
    assert not [q for q in one.captured_queries if q["sql"].startswith("ANALYZE")]
