"""A registry export from another system imports through the column mapping alone: its
values recoded (`M`/`F`), a constant for what the file does not say (the identifier's type
and issuer), a country instead of a site; a row recognised by its identifier keeps its own
spelling of the name and its site; a second import changes nothing; and a mapping that
cannot be read is refused naming the field."""

import csv
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from mhis.access.services import create_user
from mhis.intake import services
from mhis.registry.models import Identifier, NameKey, Person, PersonName, PersonSite
from mhis.registry.search import search_people

HEADER = ["Reg No", "Full Name", "Sex", "Date of Birth", "Nationality", "Passport No", "Country"]
MAPPING = {
    "source_key": "Reg No",
    "name": "Full Name ",  # spaces around a column's name do not matter, as in the file
    "sex": {"column": "Sex", "values": {"M": "male", "F": "female", "1": "male", "2": "female"}},
    "birth_date": "Date of Birth",
    "nationality": {"column": "Nationality", "as": "country"},
    "identifier_value": "Passport No",
    "identifier_type": {"value": "passport"},
    "identifier_country": {"value": "MMR"},
    "registration_site": {"column": "Country", "as": "country", "sites": {"THA": "MSOT-CLIN"}},
}
BURMESE = "အောင်ကျော်"  # Aung Kyaw, as written in Myanmar script


def export(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def importer(world):
    """A clinician of Mae Sot (two sites in Thailand) and of Myawaddy (one in Myanmar)."""
    return create_user(
        username="registry_importer",
        password=None,
        role="clinician",
        places=[world["MAESOT"], world["MYAWADDY"]],
    )


@pytest.fixture
def known(register):
    """A person registered in Mae Sot under a Latin spelling, with a Myanmar passport."""
    return register(
        names=[{"text": "Aung Kyaw"}],
        identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MB7654321"}],
    )


ROWS = [
    # Recognised by the passport: written in Myanmar script, registered in Myanmar.
    ["R-001", BURMESE, "M", "1988-02-14", "MMR", "MB7654321", "Myanmar"],
    ["R-002", "Naw Htoo Paw", "F", "1995", "Myanmar", "MC1111111", "THA"],
    ["R-003", "မမြင့်", "2", "1979-11-03", "MM", "", "MM"],
    ["R-004", "Saw Ler Moo", "m", "2001-07", "MMR", "", "TH"],
    ["R-005", "Unknown Sex", "X", "1990-01-01", "MMR", "", "TH"],
    ["R-006", "Cambodian Site", "F", "1990-01-01", "MMR", "", "KHM"],
    ["R-007", "Nowhere", "F", "1990-01-01", "MMR", "", "Atlantis"],
    # The same passport again, spelled as already held: nothing to add.
    ["R-008", "aung  kyaw", "M", "1988-02-14", "MMR", "MB7654321", "TH"],
]


def registry_state() -> tuple:
    return tuple(
        sorted(model.objects.values_list(*fields))
        for model, fields in (
            (Person, ("pk", "display_name", "registration_site")),
            (PersonName, ("person", "text", "latin", "use")),
            (PersonSite, ("person", "site", "reason")),
            (NameKey, ("person", "key")),
            (Identifier, ("person", "type", "issuing_country", "value")),
        )
    )


def test_another_systems_export_imports_through_the_mapping_alone(importer, known, world, tmp_path):
    path = export(tmp_path / "registry.csv", ROWS)
    job = services.run_import(importer, path, source="other-registry", columns=MAPPING)
    outcome = {r.source_key: r.outcome for r in job.rows.all()}
    assert outcome == {
        "R-001": "linked",
        "R-002": "created",
        "R-003": "created",
        "R-004": "created",
        "R-005": "rejected",
        "R-006": "rejected",
        "R-007": "rejected",
        "R-008": "linked",
    }
    reasons = {r.source_key: (r.field, r.reason) for r in job.rows.filter(outcome="rejected")}
    assert reasons["R-005"][0] == "Sex" and "“X”" in reasons["R-005"][1]
    assert reasons["R-006"] == ("Country", "None of your sites is in the country “KHM”.")
    assert reasons["R-007"][0] == "Country" and "“Atlantis” is not a country" in reasons["R-007"][1]

    def person(key):
        return job.rows.get(source_key=key).person

    naw, ma, saw = person("R-002"), person("R-003"), person("R-004")
    assert (naw.sex, ma.sex, saw.sex) == ("female", "female", "male")
    assert (naw.nationality, ma.nationality) == ("MM", "MM")  # "Myanmar", "MM"
    assert naw.registration_site == world["CLINIC"]  # "THA", the site named for Thailand
    assert ma.registration_site == world["MYAWADDY"]  # the importer's one site in Myanmar
    assert list(naw.identifiers.values_list("type", "issuing_country", "value")) == [
        ("passport", "MM", "MC1111111")
    ]
    assert not ma.identifiers.exists()  # no number: the constant type and issuer stay out

    # The row linked by its passport keeps its spelling (found by search) and its site.
    assert person("R-001") == known
    assert sorted(known.names.values_list("text", "use")) == sorted(
        [("Aung Kyaw", "official"), (BURMESE, "alias")]
    )
    assert set(known.site_links.values_list("site", "reason")) == {
        (world["CLINIC"].pk, "registered"),
        (world["MYAWADDY"].pk, "registered"),
    }
    assert list(search_people(importer, BURMESE)) == [known]
    known.refresh_from_db()
    assert known.display_name == "Aung Kyaw"  # the name shown stays

    # The same file again changes nothing.
    before = registry_state()
    again = services.run_import(importer, path, source="other-registry")  # the saved mapping
    assert registry_state() == before
    assert services.summary(again) == {"unchanged": 5, "rejected": 3}


def test_a_linked_row_spelled_as_held_adds_no_name_and_a_new_site_only_once(
    importer, known, world, tmp_path
):
    rows = [["R-1", "AUNG KYAW", "M", "", "MMR", "MB7654321", "MMR"]]
    job = services.run_import(
        importer, export(tmp_path / "one.csv", rows), source="one", columns=MAPPING
    )
    assert services.summary(job) == {"linked": 1}
    assert list(known.names.values_list("text", flat=True)) == ["Aung Kyaw"]
    assert known.site_links.filter(site=world["MYAWADDY"]).count() == 1
    # One by one (a key whose first row in the batch was refused takes that path): another
    # spelling is kept, the site already linked is not linked twice.
    rows = [
        ["R-2", "Mg Aung Kyaw", "X", "", "MMR", "MB7654321", "MM"],
        ["R-2", "Mg Aung Kyaw", "M", "", "MMR", "MB7654321", "MM"],
    ]
    job = services.run_import(
        importer, export(tmp_path / "two.csv", rows), source="two", columns=MAPPING
    )
    assert [r.outcome for r in job.rows.order_by("row")] == ["rejected", "linked"]
    assert sorted(known.names.values_list("text", flat=True)) == ["Aung Kyaw", "Mg Aung Kyaw"]
    assert known.site_links.count() == 2
    assert list(search_people(importer, "Mg Aung")) == [known]


def test_a_country_with_several_of_the_importers_sites_needs_one_named(importer, tmp_path):
    mapping = {**MAPPING, "registration_site": {"column": "Country", "as": "country"}}
    rows = [["R-1", "Saw Ler Moo", "M", "2001", "MMR", "", "Thailand"]]
    job = services.run_import(
        importer, export(tmp_path / "th.csv", rows), source="th", columns=mapping
    )
    (row,) = job.rows.all()
    assert row.outcome == "rejected" and row.field == "Country"
    assert "MSOT-BRDG, MSOT-CLIN" in row.reason and "“sites”" in row.reason


def test_a_default_fills_empty_cells_and_is_recoded_like_them(importer, world, tmp_path):
    mapping = {**MAPPING, "registration_site": {"column": "Country", "as": "country",
                                                "default": "Myanmar"}}  # fmt: skip
    rows = [["R-1", "Naw Paw", "", "1990", "MMR", "", ""]]
    job = services.run_import(
        importer, export(tmp_path / "d.csv", rows), source="d", columns=mapping
    )
    person = job.rows.get().person
    assert person.registration_site == world["MYAWADDY"] and person.sex == "unknown"


BAD = [
    (["sex"], "mapping", "Give the mapping as an object"),
    ({"colour": "Sex"}, "mapping", "Unknown fields: colour."),
    ({"sex": 3}, "mapping", "sex: give the file's column, or an object with “column” or “value”."),
    ({"sex": " "}, "mapping", "sex: give the file's column."),
    ({"sex": {"column": "Sex", "map": {}}}, "mapping", "sex: unknown options map;"),
    ({"sex": {"column": "Sex", "value": "male"}}, "mapping", "sex: give either “column”"),
    ({"sex": {"values": {"M": "male"}}}, "mapping", "sex: give either “column”"),
    ({"sex": {"column": 1}}, "mapping", "sex: “column” must be text."),
    ({"sex": {"column": "Sex", "values": ["M"]}}, "mapping", "sex: “values” must map"),
    ({"sex": {"column": "Sex", "values": {"M": 1}}}, "mapping", "sex: “values” must map"),
    ({"registration_site": {"column": "Country", "as": "region"}}, "mapping",
     "registration_site: “as” can only be “country”."),
    ({"sex": {"column": "Sex", "as": "country"}}, "mapping",
     "sex: only registration_site, nationality, identifier_country, origin_country, "
     "destination_country can be read as a country."),
    ({"registration_site": {"column": "Country", "sites": {"TH": "MSOT-CLIN"}}}, "mapping",
     "registration_site: “sites” goes with “as”: “country” for the registration site."),
    ({"nationality": {"column": "Nationality", "as": "country", "sites": {"TH": "MSOT-CLIN"}}},
     "mapping", "nationality: “sites” goes with “as”: “country” for the registration site."),
    ({"registration_site": {"column": "Country", "as": "country", "sites": ["MSOT-CLIN"]}},
     "mapping", "registration_site: “sites” must map countries"),
    ({"registration_site": {"column": "Country", "as": "country", "sites": {"Atlantis": "MSOT-CLIN"}}},
     "mapping", "registration_site: “Atlantis” is not a country"),
    ({"registration_site": {"column": "Country", "as": "country", "sites": {"HN": "SPS-CAMR"}}},
     "mapping", "registration_site: no site with the code “SPS-CAMR” in your places."),
    ({"sex": {"column": "Sex", "values": {"M": "man", "F": "female"}}}, "mapping",
     "sex: “man”: not among the values MHIS takes (female, male, other, unknown)."),
    ({"identifier_type": {"value": "pasport"}}, "mapping",
     "identifier_type: “pasport”: not among the values MHIS takes ("),
    ({"sex": {"column": "Gender"}}, "file", "The file has no column Gender."),
]  # fmt: skip


@pytest.mark.parametrize(("given", "key", "message"), BAD)
def test_a_mapping_that_cannot_be_read_is_refused_naming_the_field(
    importer, tmp_path, given, key, message
):
    path = export(tmp_path / "bad.csv", ROWS[:1])
    with pytest.raises(ValidationError) as refused:
        services.run_import(importer, path, source="bad", columns=given)
    assert any(m.startswith(message) for m in refused.value.message_dict[key])
    assert not services.SavedMapping.objects.filter(source="bad").exists()


def test_the_command_reads_the_mapping_from_a_file(importer, known, world, tmp_path):
    path = export(tmp_path / "registry.csv", ROWS[:3])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    call_command(
        "import",
        str(path),
        user="registry_importer",
        source="cli",
        mapping=str(mapping),
        verbosity=0,
    )
    assert Person.objects.count() == 3  # the known person and two new
    assert known.site_links.filter(site=world["MYAWADDY"]).exists()
    mapping.write_text('{"sex": {"column": "Sex", "as": "country"}}', encoding="utf-8")
    with pytest.raises(Exception, match="can be read as a country"):
        call_command(
            "import", str(path), user="registry_importer", source="cli2", mapping=str(mapping)
        )


def test_the_page_takes_the_mapping_and_names_what_is_wrong_with_it(client, importer, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mhis.intake.models import Job

    client.force_login(importer)
    body = b"Reg No,Full Name,Sex,Country\nW-1,Naw Paw,F,MMR\n"

    def post(mapping):
        return client.post("/imports/", {"what": "kind:people", "source": "web", "mapping": mapping,
                                         "file": SimpleUploadedFile("web.csv", body)})  # fmt: skip

    page = post("{not json").content.decode()
    assert "The mapping is not JSON" in page and not Job.objects.exists()
    page = post('{"sex": {"column": "Sex", "as": "country"}}').content.decode()
    assert "sex: only registration_site, nationality" in page
    mapping = {"source_key": "Reg No", "name": "Full Name",
               "sex": {"column": "Sex", "values": {"F": "female"}},
               "registration_site": {"column": "Country", "as": "country"}}  # fmt: skip
    response = post(json.dumps(mapping))
    assert response.status_code == 302
    person = Job.objects.get().rows.get().person
    assert (person.sex, person.registration_site) == ("female", world["MYAWADDY"])
    assert services.SavedMapping.objects.get(source="web").columns == mapping
    shown = client.get("/imports/").content.decode()
    assert "Saved column mappings" in shown and "&quot;as&quot;: &quot;country&quot;" in shown
    # A field form's submissions are read by the form.
    page = client.post("/imports/", {"what": "form:mhis_registration", "mapping": json.dumps(mapping),
                                     "file": SimpleUploadedFile("sub.json", b"[]")}).content.decode()  # fmt: skip
    assert "A field form&#x27;s submissions are read by the form: give no mapping." in page


def test_a_changed_linked_row_adds_to_its_person_and_replaces_nothing(
    importer, known, world, tmp_path
):
    services.run_import(importer, export(tmp_path / "a.csv", ROWS), source="o", columns=MAPPING)
    rows = [list(r) for r in ROWS]
    rows[0][3] = "1988-02-15"  # the linked row, corrected
    rows[0][1] = "မောင်အောင်ကျော်"  # and spelled once more
    rows[1][1] = "Naw Htoo Paw Corrected"  # a row that registered its person
    job = services.run_import(importer, export(tmp_path / "b.csv", rows), source="o")
    outcome = {r.source_key: r.outcome for r in job.rows.all()}
    assert outcome["R-001"] == outcome["R-002"] == "updated"
    known.refresh_from_db()
    assert (known.display_name, known.registration_site) == ("Aung Kyaw", world["CLINIC"])
    assert str(known.birth_date) == "1988-02-15"
    assert set(known.names.values_list("text", flat=True)) == {"Aung Kyaw", BURMESE, "မောင်အောင်ကျော်"}
    assert known.site_links.count() == 2
    naw = job.rows.get(source_key="R-002").person
    assert list(naw.names.values_list("text", flat=True)) == ["Naw Htoo Paw Corrected"]


def test_names_are_added_only_to_people_in_the_writers_places_and_up_to_the_limit(people, known):
    from django.core.exceptions import PermissionDenied

    from mhis.registry.contracts import MAX_NAMES
    from mhis.registry.services import add_names, person_fields

    def checked(*texts):
        data = {"registration_site": "MSOT-CLIN", "names": [{"text": t} for t in texts]}
        return person_fields(people["clinician"], data)["names"]

    with pytest.raises(PermissionDenied):
        add_names(people["hn_clinician"], {known.pk: checked("Aung Kyaw Oo")})
    assert known.names.count() == 1
    spellings = [f"Aung Kyaw {letter}" for letter in "ABCDEFGHIJKL"]
    assert add_names(people["clinician"], {known.pk: checked(*spellings[:10])}) == MAX_NAMES - 1
    assert known.names.count() == MAX_NAMES
    assert add_names(people["clinician"], {known.pk: checked("Aung Kyaw Z")}) == 0
    assert list(search_people(people["clinician"], "Aung Kyaw C")) == [known]
