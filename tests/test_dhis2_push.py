"""DHIS2 for a real instance: a mapping by UID or by code checked line by line, a payload that
follows the documented API's rules (id schemes, combos, periods, totals), a dry-run push and
an import against a stand-in instance (tests/dhis2_standin.py), and the round trip read back.

The instance's metadata and the two mappings are in tests/fixtures/real/dhis2/ (SOURCES.md)."""

import json
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mhis.indicators import dhis2, exports, services
from mhis.indicators.disclosure import protect
from mhis.indicators.models import ExportMapping

from .dhis2_standin import METADATA, PERIOD, StandIn
from .indicator_world import build

REAL = Path(__file__).parent / "fixtures" / "real" / "dhis2"
BY_UID = REAL / "mapping_uid.toml"
BY_CODE = REAL / "mapping_code.toml"
META = json.loads(METADATA.read_text())


@pytest.fixture
def known(world):
    return build(world)


@pytest.fixture
def standin(settings):
    with StandIn() as server:
        settings.MHIS_DHIS2_URL = server.url
        settings.MHIS_DHIS2_USERNAME, settings.MHIS_DHIS2_PASSWORD = "admin", "district"
        settings.MHIS_DHIS2_TOKEN = ""
        settings.MHIS_DHIS2_TIMEOUT = 5
        yield server


def _document(world, mapping_file, place="TH", children=True):
    mapping = exports.load_mapping(mapping_file)
    rows, withheld = exports.values(mapping, world[place], ["2026-Q1"], children=children)
    return mapping, exports.dhis2(mapping, rows), withheld


def _hidden(world, code, dim):
    """The (place code, value) of each withheld cell of `code` by `dim` in Thailand's areas."""
    raw = services.table(services.get(code), ["2026-Q1"], world["TH"].path, (dim, "place"))
    services.complete(raw, world["TH"], ["2026-Q1"])
    codes = {p.path: p.code for p in type(world["TH"]).objects.all()}
    return {(codes[c.key[2]], c.key[1]) for c in protect(raw)
            if c.hidden and c.key[1] is not None and c.key[2] is not None}  # fmt: skip


# -- the payload against the documented rules -------------------------------------------------


def test_payload_by_uid_follows_the_documented_rules(known, world):
    _mapping, document, withheld = _document(world, BY_UID)
    # The payload says how it identifies things (it outranks the request's parameters).
    assert {document[k] for k in ("idScheme", "dataSetIdScheme", "dataElementIdScheme",
                                  "orgUnitIdScheme", "categoryOptionComboIdScheme")} == {"UID"}  # fmt: skip
    assert list(document)[-1] == "dataValues"  # the header before the values, as DHIS2 reads it
    uid = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
    elements = {e["id"]: e for e in META["dataElements"]}
    combos = {c["id"]: c for c in META["categoryOptionCombos"]}
    assert uid.match(document["dataSet"]) and document["period"] == "2026Q1"
    assert PERIOD.match(document["period"])
    for value in document["dataValues"]:
        element = elements[value["dataElement"]]
        assert uid.match(value["orgUnit"])
        combo = combos[value.get("categoryOptionCombo", "HllvX50cXC0")]
        # Each combo is one of the data element's category combo: no invented ones.
        assert combo["categoryCombo"]["id"] == element["categoryCombo"]["id"], value
        assert "value" in value or value["comment"]
    # Encounters: the parts only (the data set has no total for them: DHIS2 adds them up).
    encounters = [v for v in document["dataValues"] if v["dataElement"] == "DeEncounter"]
    assert encounters and all("categoryOptionCombo" in v for v in encounters)
    # People seen: a total in its own data element, only beside parts with nothing withheld.
    totals = {v["orgUnit"]: v for v in document["dataValues"] if v["dataElement"] == "DePeopleTot"}
    assert set(totals) == {"ThaiTak0063", "ThaiRanon85"}
    assert withheld == sum("value" not in v and v["comment"].startswith("Withheld")
                           for v in document["dataValues"])  # fmt: skip


def test_a_withheld_cell_is_never_in_the_pushed_payload(known, world, standin):
    hidden = _hidden(world, "PEOPLE_SEEN", "age_group") | {
        ("sex", *h) for h in _hidden(world, "ENCOUNTERS", "sex")
    }
    assert hidden  # the world has small cells: the test can fail
    call_command("indicators", "push-dhis2", "--mapping", str(BY_CODE), "--place", "TH",
                 "--children", "--period", "2026-Q1")  # fmt: skip
    [pushed] = standin.instance.requests
    by_cell = {(v["orgUnit"], v["dataElement"], v.get("categoryOptionCombo")): v
               for v in pushed["dataValues"]}  # fmt: skip
    for cell in hidden:
        if cell[0] == "sex":
            key = (cell[1], "MIG_ENCOUNTERS", f"SEX_{cell[2][0].upper()}")
        else:
            key = (cell[0], "MIG_PEOPLE_SEEN", f"AGE_{cell[1]}")
        assert "value" not in by_cell[key] and by_cell[key]["comment"].startswith("Withheld")
    for value in pushed["dataValues"]:
        if "value" in value and value["dataElement"] != "MIG_CXR_COVERAGE":
            assert int(value["value"]) == 0 or int(value["value"]) >= 5, value


def test_no_total_where_the_parts_would_give_a_withheld_cell_away(known, world, standin):
    hidden_places = {place for place, _age in _hidden(world, "PEOPLE_SEEN", "age_group")}
    assert hidden_places and hidden_places != {"TH-63", "TH-85"}  # one area with, one without
    call_command("indicators", "push-dhis2", "--mapping", str(BY_CODE), "--place", "TH",
                 "--children", "--period", "2026-Q1")  # fmt: skip
    [pushed] = standin.instance.requests
    totals = {v["orgUnit"]: v for v in pushed["dataValues"]
              if v["dataElement"] == "MIG_PEOPLE_SEEN_TOTAL"}  # fmt: skip
    for place, total in totals.items():
        if place in hidden_places:
            assert "value" not in total and total["comment"].startswith("Not sent")
        else:
            parts = [int(v["value"]) for v in pushed["dataValues"]
                     if v["orgUnit"] == place and v["dataElement"] == "MIG_PEOPLE_SEEN"]  # fmt: skip
            assert int(total["value"]) > 0 and sum(parts) > 0


# -- the push -------------------------------------------------------------------------------


def test_dry_run_first_then_the_import_only_when_asked(known, world, standin, capsys):
    call_command("indicators", "push-dhis2", "--mapping", str(BY_UID), "--place", "TH",
                 "--children", "--period", "2026-Q1")  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"Dry run: SUCCESS — \d+ imported, 0 updated, \d+ ignored", out)
    assert "run again with --commit" in out and standin.instance.values == {}
    call_command("indicators", "push-dhis2", "--mapping", str(BY_UID), "--place", "TH",
                 "--children", "--period", "2026-Q1", "--commit")  # fmt: skip
    out = capsys.readouterr().out
    assert "Import: SUCCESS" in out and standin.instance.values
    # Sent again: the same values are updated, none imported twice.
    call_command("indicators", "push-dhis2", "--mapping", str(BY_UID), "--place", "TH",
                 "--children", "--period", "2026-Q1", "--commit")  # fmt: skip
    assert re.search(r"Import: SUCCESS — 0 imported, \d+ updated", capsys.readouterr().out)


def test_conflicts_are_shown_and_nothing_is_imported(known, world, standin, tmp_path, capsys):
    wrong = tmp_path / "wrong.toml"
    text = BY_UID.read_text().replace('"DeCxrCover1"', '"DeCxrCoverX"')
    wrong.write_text(text.replace('TH-85 = "ThaiRanon85"', 'TH-85 = "HondurasHN1"'))
    with pytest.raises(CommandError, match="dry run reports conflicts"):
        call_command("indicators", "push-dhis2", "--mapping", str(wrong), "--place", "TH",
                     "--children", "--period", "2026-Q1", "--commit")  # fmt: skip
    out = capsys.readouterr().out
    assert "Dry run: WARNING" in out
    assert "E7610 DeCxrCoverX: Data element not found or not accessible" in out
    assert "E7636 HondurasHN1: Data element" in out  # Honduras does not report this data set
    assert standin.instance.values == {}


def test_server_errors_are_named(known, world, standin, settings):
    _mapping, document, _withheld = _document(world, BY_UID)
    settings.MHIS_DHIS2_PASSWORD = "wrong"
    with pytest.raises(dhis2.PushError, match=r"refused the account \(401\)"):
        dhis2.push(document)
    settings.MHIS_DHIS2_PASSWORD, settings.MHIS_DHIS2_TOKEN = "", standin.instance.users[0]["token"]
    assert dhis2.push(document).status == "SUCCESS"  # a personal access token
    settings.MHIS_DHIS2_URL = standin.url + "/dhis"
    with pytest.raises(dhis2.PushError, match=r"No DHIS2 Web API .*\(404\)"):
        dhis2.push(document)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        settings.MHIS_DHIS2_URL = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(dhis2.PushError, match="Cannot reach the DHIS2 server"):
        dhis2.push(document)
    settings.MHIS_DHIS2_URL = "http://dhis2.example.org"
    with pytest.raises(dhis2.PushError, match="must use https"):
        dhis2.push(document)
    settings.MHIS_DHIS2_URL = ""
    with pytest.raises(dhis2.PushError, match="MHIS_DHIS2_URL"):
        dhis2.push(document)


def test_answers_that_are_not_import_summaries_are_refused():
    with pytest.raises(dhis2.PushError, match="redirect"):
        dhis2.read_summary(302, "", dry_run=True)
    with pytest.raises(dhis2.PushError, match="without a DHIS2 import summary"):
        dhis2.read_summary(200, "<html>login</html>", dry_run=True)
    with pytest.raises(dhis2.PushError, match=r"refused the request \(500\)"):
        dhis2.read_summary(500, '{"status": "ERROR", "message": "boom"}', dry_run=True)
    # An older DHIS2 answers the summary itself, not wrapped in a web message.
    old = dhis2.read_summary(200, json.dumps({"responseType": "ImportSummary", "status": "SUCCESS",
                             "importCount": {"imported": 2, "updated": 1, "ignored": 0}}),
                             dry_run=False)  # fmt: skip
    assert (old.imported, old.updated, old.clean) == (2, 1, True)


# -- the round trip -------------------------------------------------------------------------


def test_round_trip_lists_exactly_what_changes(known, world, standin):
    """Export → the stand-in imports it as DHIS2 would → read back its dataValueSets (by code)
    → compared value by value. What changes, and nothing else:

    1. period and org unit move from the set's header into each value;
    2. a value sent without a category option combo comes back with the default one
       (``default``), and every value with the default attribute option combo;
    3. a zero of a data element whose zeros are not significant is not stored (encounters);
    4. DHIS2 adds storedBy, created, lastUpdated and followup;
    5. the id schemes and the completeDate are not part of the values read back."""
    _mapping, sent, _withheld = _document(world, BY_CODE)
    summary = dhis2.push(sent, dry_run=False)
    assert summary.clean
    import requests

    back = requests.get(
        f"{standin.url}/api/dataValueSets.json",
        params={
            "dataSet": "MIG_HEALTH_Q",
            "period": "2026Q1",
            "orgUnit": "TH",
            "children": "true",
            "idScheme": "code",
        },
        auth=("admin", "district"),
        timeout=5,
    ).json()["dataValues"]
    zeros_dropped = {"MIG_ENCOUNTERS"}  # zeroIsSignificant false in the instance's metadata
    expected = []
    for v in sent["dataValues"]:
        if v["dataElement"] in zeros_dropped and v.get("value") == "0":
            continue  # change 3
        row = {**v, "period": v.get("period", sent["period"])}  # change 1
        row["orgUnit"] = v.get("orgUnit", sent.get("orgUnit"))
        row.setdefault("categoryOptionCombo", "default")  # change 2
        row["attributeOptionCombo"] = "default"
        expected.append(row)
    added = {"storedBy", "created", "lastUpdated", "followup"}  # change 4
    got = [{k: v for k, v in row.items() if k not in added} for row in back]
    assert all(added <= set(row) for row in back)

    def key(row):
        return (row["dataElement"], row["orgUnit"], row["categoryOptionCombo"])

    assert sorted(got, key=key) == sorted(expected, key=key)
    assert "idScheme" not in json.dumps(back) and "completeDate" not in json.dumps(back)  # 5
    # Sent again unchanged: every value is an update, the stored set the same.
    again = dhis2.push(sent, dry_run=False)
    assert again.imported == 0 and again.updated == summary.imported


# -- the mapping ----------------------------------------------------------------------------


def test_mapping_problems_each_with_its_line(db, world, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'data_set = "MigHealthDS"\n'  # 1
        'id_scheme = "uid"\n'  # 2
        "[org_units]\n"  # 3
        'TH = "ThaiLand01"\n'  # 4: ten characters
        'XX = "ThaiLand001"\n'  # 5: no such place
        "[categories.sex]\n"  # 6
        'code = "SEX GROUP"\n'  # 7: a space in an ADX attribute name
        "[indicators.ENCOUNTERS]\n"  # 8
        'data_element = "1eEncounte"\n'  # 9: a digit first, ten characters
        'by = ["sex"]\n'  # 10
        "[indicators.ENCOUNTERS.combos]\n"  # 11
        '"female,male" = "CocFemale01"\n',  # 12: two values for one category
        encoding="utf-8",
    )
    with pytest.raises(exports.MappingError) as caught:
        exports.load_mapping(bad)
    found = {(line, field) for line, field, _message in caught.value.problems}
    assert found == {
        (4, "org_units.TH"),
        (5, "org_units.XX"),
        (7, "categories.sex.code"),
        (9, "indicators.ENCOUNTERS.data_element"),
        (12, "indicators.ENCOUNTERS.combos.female,male"),
    }
    message = str(caught.value)
    assert "bad.toml: line 4: org_units.TH: 'ThaiLand01' is not a DHIS2 UID" in message
    assert "line 7: categories.sex.code: 'SEX GROUP' cannot name an ADX category" in message


def test_a_uid_mapping_without_an_org_unit_or_a_combo_is_refused_by_name(known, world, tmp_path):
    partial = tmp_path / "partial.toml"
    partial.write_text(BY_UID.read_text().replace('TH-85 = "ThaiRanon85"\n', "")
                       .replace('unknown = "CocUnknown1"\n', ""))  # fmt: skip
    mapping = exports.load_mapping(partial)
    with pytest.raises(exports.MappingError) as caught:
        exports.values(mapping, world["TH"], ["2026-Q1"], children=True)
    fields = {field for _line, field, _message in caught.value.problems}
    assert fields == {"org_units.TH-85", "indicators.ENCOUNTERS.combos.unknown"}


def test_mapping_command_checks_and_saves(db, world, tmp_path, capsys):
    call_command("indicators", "mapping", str(BY_UID), "--save")
    assert "valid, 3 indicators mapped" in capsys.readouterr().out
    assert exports.load_mapping().data_set == "MigHealthDS"  # the saved one is in force
    bad = tmp_path / "bad.toml"
    bad.write_text('data_set = "x y"\nid_scheme = "name"\n')
    with pytest.raises(CommandError, match=r"line 2: id_scheme: expected uid or code"):
        call_command("indicators", "mapping", str(bad), "--save")
    assert ExportMapping.objects.count() == 1


# -- ADX ------------------------------------------------------------------------------------


def test_adx_by_code_leaves_withheld_values_out_and_sends_totals_as_their_own_element(known, world):
    mapping = exports.load_mapping(BY_CODE)
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-Q1"], children=True)
    root = ET.fromstring(exports.adx(mapping, rows))
    ns = {"adx": exports.ADX_NS}
    for value in root.iterfind(".//adx:dataValue", ns):
        assert value.get("value") != ""  # a withheld value is left out, not sent empty
        if value.get("dataElement") in ("MIG_PEOPLE_SEEN", "MIG_ENCOUNTERS"):
            assert value.get("AGE_GROUP") or value.get("SEX")  # parts carry their category
    sent = {(g.get("orgUnit"), v.get("AGE_GROUP")) for g in root.iterfind("adx:group", ns)
            for v in g.iterfind("adx:dataValue[@dataElement='MIG_PEOPLE_SEEN']", ns)}  # fmt: skip
    assert not sent & _hidden(world, "PEOPLE_SEEN", "age_group")
    totals = {g.get("orgUnit") for g in root.iterfind("adx:group", ns)
              if g.find("adx:dataValue[@dataElement='MIG_PEOPLE_SEEN_TOTAL']", ns) is not None}  # fmt: skip
    hidden_places = {place for place, _age in _hidden(world, "PEOPLE_SEEN", "age_group")}
    assert totals and not totals & hidden_places


def test_adx_refuses_a_uid_mapping_and_an_option_code_it_cannot_write(known, world, tmp_path):
    mapping = exports.load_mapping(BY_UID)
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-Q1"])
    with pytest.raises(ValueError, match="ADX identifies data by code"):
        exports.adx(mapping, rows)
    spaced = tmp_path / "spaced.toml"
    spaced.write_text(BY_CODE.read_text().replace('female = "F"', 'female = " F"'))
    with pytest.raises(exports.MappingError, match=r"categories\.sex\.options\.female"):
        exports.load_mapping(spaced)


# -- the page -------------------------------------------------------------------------------


@pytest.fixture
def analyst(world):
    from mhis.access.services import create_user

    return create_user(username="th_analyst", password=None, role="analyst", places=[world["TH"]])


def test_the_page_checks_a_mapping_line_by_line_and_saves_it(known, world, analyst, people, client):
    client.force_login(analyst)
    page = client.get("/indicators/dhis2/")
    assert page.status_code == 200 and "MHIS_MIGRANT_HEALTH" in page.content.decode()
    bad = BY_UID.read_text().replace('TH-63 = "ThaiTak0063"', 'TH-63 = "Tak 63"')
    refused = client.post("/indicators/dhis2/", {"action": "save", "text": bad})
    body = refused.content.decode()
    assert refused.status_code == 200 and "There is a problem" in body
    assert "Line 7: org_units.TH-63: &#x27;Tak 63&#x27; is not a DHIS2 UID" in body
    assert not ExportMapping.objects.exists()
    upload = ("mapping_uid.toml", BY_UID.read_bytes())
    from django.core.files.uploadedfile import SimpleUploadedFile

    saved = client.post("/indicators/dhis2/", {"action": "save", "text": "",
                        "upload": SimpleUploadedFile(*upload)})  # fmt: skip
    assert saved.status_code == 302
    assert ExportMapping.objects.get().saved_by == analyst
    assert exports.load_mapping().data_set == "MigHealthDS"
    # Other roles never reach it.
    client.force_login(people["clinician"])
    assert client.get("/indicators/dhis2/").status_code == 403
    client.logout()
    assert client.get("/indicators/dhis2/").status_code == 302


def test_the_page_dry_runs_then_imports(known, world, analyst, client, standin):
    ExportMapping.objects.create(text=BY_UID.read_text())
    client.force_login(analyst)
    form = {"place": "TH", "period": "2026-Q1", "children": "on"}
    dry = client.post("/indicators/dhis2/", form | {"action": "dry_run"}).content.decode()
    assert re.search(r"Dry run: SUCCESS — \d+ imported", dry) and standin.instance.values == {}
    done = client.post("/indicators/dhis2/", form | {"action": "commit"}).content.decode()
    assert "Import: SUCCESS" in done and standin.instance.values
    bad = client.post("/indicators/dhis2/", form | {"action": "dry_run", "period": "2026-13"})
    assert "Not a period" in bad.content.decode()
    outside = client.post("/indicators/dhis2/", form | {"action": "dry_run", "place": "HN"})
    assert outside.status_code == 403


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('data_set = "A"\nindicators = 5', "indicators"),
        ('data_set = "A"\norg_units = 3', "org_units"),
        ("data_set = 5", "data_set"),
        ('data_set = "A"\nid_scheme = ["uid"]', "id_scheme"),
        ('data_set = "A"\n[categories.sex]\ncode = "SEX"\noptions = 3', "categories.sex.options"),
        (
            'data_set = "A"\n[categories.sex]\ncode = "SEX"\n[indicators.ENCOUNTERS]\n'
            'data_element = "E"\nby = "sex"',
            "indicators.ENCOUNTERS.by",
        ),
        (
            'data_set = "A"\n[categories.sex]\ncode = "SEX"\n[indicators.ENCOUNTERS]\n'
            'data_element = "E"\nby = ["sex"]\ncombos = 3',
            "indicators.ENCOUNTERS.combos",
        ),
        (
            'data_set = "A"\n[indicators.ENCOUNTERS]\ndata_element = "E"\ntotal_data_element = ["x"]',
            "indicators.ENCOUNTERS.total_data_element",
        ),
        (
            'data_set = "A"\n[indicators.ENCOUNTERS]\ndata_element = "E"\ntotal = "x"',
            "indicators.ENCOUNTERS.total",
        ),
        ("\x00\x01 not toml", "file"),
    ],
)
def test_a_malformed_mapping_is_refused_by_field_never_a_traceback(db, text, field):
    mapping, problems = exports.check_mapping(text, "hostile.toml")
    assert mapping is None and field in {f for _line, f, _message in problems}


# -- the stand-in against DHIS2's own file ---------------------------------------------------


def test_dhis2s_own_bulk_file_imports_into_the_standin_as_dhis2_documents(db):
    """DHIS2's own end-to-end data values (dhis2-core, trimmed): every value imported, the
    three zeros of a data element whose zeros are not significant ignored without a conflict;
    then the same file with a combo of another data element's combination and a period
    written as a date, each refused by its index with DHIS2's code."""
    import requests

    bulk = json.loads((REAL / "dhis2_core_dataValues_bulk.json").read_text())
    with StandIn(REAL / "dhis2_core_bulk_metadata.json") as server:
        url = f"{server.url}/api/dataValueSets"
        answer = requests.post(url, json=bulk, params={"dryRun": "true"},
                               auth=("admin", "district"), timeout=5)  # fmt: skip
        summary = dhis2.read_summary(answer.status_code, answer.text, dry_run=True)
        assert (answer.status_code, summary.status) == (200, "SUCCESS")
        assert (summary.imported, summary.ignored, summary.conflicts) == (22, 3, [])
        assert server.instance.values == {}  # a dry run stores nothing
        bulk["dataValues"][6]["categoryOptionCombo"] = "Ngi3BgUod0E"  # a Foci combo on Age
        bulk["dataValues"][9]["period"] = "2019-12"
        answer = requests.post(url, json=bulk, auth=("admin", "district"), timeout=5)
        summary = dhis2.read_summary(answer.status_code, answer.text, dry_run=False)
        assert (answer.status_code, summary.status, summary.imported) == (409, "WARNING", 20)
        codes = {c.error_code: c.indexes for c in summary.conflicts}
        assert codes == {"E7634": [6], "E7611": [9]}
        assert "must be part of category combo of data element: `dFaBg0HpoIL`" in str(
            next(c for c in summary.conflicts if c.error_code == "E7634")
        )


def test_the_page_refuses_a_file_that_is_not_a_mapping(known, world, analyst, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(analyst)
    binary = SimpleUploadedFile("mapping.toml", b"\xff\xfe\x00bad")
    page = client.post("/indicators/dhis2/", {"action": "save", "upload": binary})
    assert page.status_code == 200 and "The file is not UTF-8 text." in page.content.decode()
    big = SimpleUploadedFile("mapping.toml", b"# x\n" * 200_000)
    page = client.post("/indicators/dhis2/", {"action": "check", "upload": big})
    assert "The file is over 500 kB" in page.content.decode()
    empty = client.post("/indicators/dhis2/", {"action": "save", "text": "   "})
    assert "Paste a mapping or upload a file." in empty.content.decode()
    assert not ExportMapping.objects.exists()


def test_a_long_list_of_conflicts_is_cut_short():
    many = [dhis2.Conflict(f"X{i}", "Data element not found", "E7610") for i in range(130)]
    lines = dhis2.Summary("WARNING", True, ignored=130, conflicts=many).lines()
    assert len(lines) == 1 + 100 + 1 and lines[-1] == "… and 30 more conflicts."


def test_a_server_that_does_not_answer_times_out(known, world, settings):
    _mapping, document, _withheld = _document(world, BY_UID)
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.MHIS_DHIS2_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.MHIS_DHIS2_TOKEN, settings.MHIS_DHIS2_TIMEOUT = "d2pat_x", 1
        with pytest.raises(dhis2.PushError, match="did not answer within 1 seconds"):
            dhis2.push(document)


def test_the_attribute_option_combo_is_looked_up(known, world, standin, tmp_path):
    mapped = tmp_path / "aoc.toml"
    base = BY_UID.read_text().replace('id_scheme = "uid"\n', 'id_scheme = "uid"\nAOC\n')
    mapped.write_text(base.replace("AOC", 'attribute_option_combo = "HllvX50cXC0"'))
    _mapping, document, _withheld = _document(world, mapped)
    assert document["attributeOptionCombo"] == "HllvX50cXC0"
    assert dhis2.push(document).clean
    mapped.write_text(base.replace("AOC", 'attribute_option_combo = "NoSuchAoc01"'))
    _mapping, document, _withheld = _document(world, mapped)
    summary = dhis2.push(document)
    assert summary.status == "ERROR" and summary.imported == 0
    assert [c.error_code for c in summary.conflicts] == ["E7604"]
