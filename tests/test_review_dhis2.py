"""A review of the DHIS2 mapping and push as the people who would break it: a hostile mapping
(nested too deeply, lines built to make the checker crawl, control characters an XML writer
cannot carry, totals mapped onto their own parts), and a server address that holds an
account."""

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mhis.indicators import dhis2, exports

from .indicator_world import build

REAL = Path(__file__).parent / "fixtures" / "real" / "dhis2"
BY_CODE = REAL / "mapping_code.toml"


@pytest.fixture
def analyst(world):
    from mhis.access.services import create_user

    return create_user(username="th_analyst", password=None, role="analyst", places=[world["TH"]])


# -- hostile mapping files ---------------------------------------------------------------------


def test_a_mapping_nested_too_deeply_is_refused_not_a_traceback(db, world, analyst, client):
    deep = 'data_set = "A"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"
    _mapping, problems = exports.check_mapping(deep, "deep.toml")
    assert [(field, "nested too deeply" in message) for _line, field, message in problems] == [
        ("file", True)
    ]
    client.force_login(analyst)
    page = client.post("/indicators/dhis2/", {"action": "save", "text": deep})
    assert page.status_code == 200 and "nested too deeply" in page.content.decode()


def test_the_mapping_command_refuses_a_deep_file_with_its_reason(db, world, tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("indicators", "mapping", str(path))


def test_a_long_line_does_not_make_the_check_crawl(db, world):
    # Valid TOML whose comment and multi-line string hold long runs of spaces: where each
    # problem lies is found in time proportional to the text, not to its square.
    text = 'data_set = "A"\n# a' + " " * 200_000 + 'b\nnotes = """\n[a' + " " * 200_000 + 'b\n"""\n'
    started = time.monotonic()
    _mapping, problems = exports.check_mapping(text, "slow.toml")
    assert time.monotonic() - started < 5
    assert [(line, field) for line, field, _message in problems] == [(3, "notes")]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("indicators.ENCOUNTERS.data_element", 'data_element = "MIG\\u0001ENC"'),
        ("data_set", 'data_set = "MIG\\u000bDS"'),
        ("org_units.TH", 'TH = "TH\\u0000"'),
        ("categories.sex.options.female", 'female = "F\\u0008"'),
    ],
)
def test_a_control_character_in_a_code_is_refused_by_field(db, world, field, text):
    key = text.split(" = ")[0]
    mapping = BY_CODE.read_text()
    if field == "org_units.TH":
        mapping += f"\n[org_units]\n{text}\n"
    elif field == "categories.sex.options.female":
        mapping = mapping.replace('female = "F"', text)
    else:
        mapping = "\n".join(
            text
            if line.startswith(f"{key} = ")
            and i
            == mapping.splitlines().index(
                next(ln for ln in mapping.splitlines() if ln.startswith(f"{key} = "))
            )
            else line
            for i, line in enumerate(mapping.splitlines())
        )
    found, problems = exports.check_mapping(mapping, "ctrl.toml")
    assert found is None and field in [f for _line, f, _message in problems], problems


def test_adx_from_any_accepted_mapping_is_well_formed_xml(db, world):
    build(world)
    text = BY_CODE.read_text().replace('"MIG_ENCOUNTERS"', '"MIG\\u0001ENC"')
    mapping, _problems = exports.check_mapping(text, "ctrl.toml")
    if mapping is None:
        return  # refused, as it must be: nothing to write
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-Q1"], children=True)
    ET.fromstring(exports.adx(mapping, rows))


# -- totals mapped onto the parts --------------------------------------------------------------


def test_a_total_mapped_onto_its_own_parts_is_refused(db, world):
    # The total in the default combo of the parts' own data element: DHIS2 adds it to the
    # parts, and counts every person twice (what the issue found).
    same_element = BY_CODE.read_text().replace(
        'total_data_element = "MIG_PEOPLE_SEEN_TOTAL"', 'total_data_element = "MIG_PEOPLE_SEEN"'
    )
    _m, problems = exports.check_mapping(same_element, "twice.toml")
    assert "indicators.PEOPLE_SEEN.total_data_element" in [f for _l, f, _m in problems]
    # The total as one of the parts' combos: it overwrites that part.
    as_part = BY_CODE.read_text().replace(
        'total_data_element = "MIG_PEOPLE_SEEN_TOTAL"', 'total_combo = "AGE_UNK"'
    )
    _m, problems = exports.check_mapping(as_part, "part.toml")
    assert "indicators.PEOPLE_SEEN.total_combo" in [f for _l, f, _m in problems]
    # Two combinations sent to one combo: the second overwrites the first.
    doubled = BY_CODE.read_text().replace('male = "SEX_M"', 'male = "SEX_F"')
    _m, problems = exports.check_mapping(doubled, "doubled.toml")
    assert "indicators.ENCOUNTERS.combos.male" in [f for _l, f, _m in problems]
    # Two options with one code: by code, their combos are one and the same.
    merged = BY_CODE.read_text().replace('other = "O"', 'other = "U"')
    _m, problems = exports.check_mapping(merged, "merged.toml")
    assert "categories.sex.options.unknown" in [f for _l, f, _m in problems]
    # Two indicators into one cell: DHIS2 keeps the last value sent.
    shared = BY_CODE.read_text().replace('"MIG_CXR_COVERAGE"', '"MIG_PEOPLE_SEEN_TOTAL"')
    _m, problems = exports.check_mapping(shared, "shared.toml")
    assert [f for _l, f, _m in problems] == ["indicators.CXR_COVERAGE.data_element"]
    # A disaggregation named twice.
    twice = BY_CODE.read_text().replace('by = ["sex"]', 'by = ["sex", "sex"]')
    _m, problems = exports.check_mapping(twice, "by.toml")
    assert "indicators.ENCOUNTERS.by" in [f for _l, f, _m in problems]
    # Whatever their type, never a traceback.
    odd = BY_CODE.read_text().replace(
        'total_data_element = "MIG_PEOPLE_SEEN_TOTAL"', 'total_combo = ["AGE_UNK"]'
    )
    _m, problems = exports.check_mapping(odd, "odd.toml")
    assert "indicators.PEOPLE_SEEN.total_combo" in [f for _l, f, _m in problems]


# -- the server's address and account ----------------------------------------------------------


def test_an_account_in_the_server_address_is_never_shown(db, world, analyst, client, settings):
    settings.MHIS_DHIS2_URL = "https://mhis:s3cret@dhis2.example.org/?api_token=t0ken"
    settings.MHIS_DHIS2_TOKEN = "d2pat_abc"
    client.force_login(analyst)
    page = client.get("/indicators/dhis2/").content.decode()
    assert "dhis2.example.org" in page
    assert "s3cret" not in page and "t0ken" not in page and "d2pat_abc" not in page
    with pytest.raises(dhis2.PushError) as refused:
        dhis2.push({"dataValues": []}, dry_run=True)
    assert "user:password@" in str(refused.value) and "s3cret" not in str(refused.value)
    settings.MHIS_DHIS2_URL = "ftp://mhis:s3cret@dhis2.example.org"
    with pytest.raises(dhis2.PushError) as refused:
        dhis2.Server.from_settings().check()
    assert "s3cret" not in str(refused.value)


# -- migration status below the first level ----------------------------------------------------


def test_no_status_breakdown_for_a_site_that_sits_directly_under_the_country(db, world):
    # A site may sit directly under a country, at level 1 like an area: the breakdown by place
    # would then send that one site's people by migration status.
    from mhis.places.services import create_place

    from .indicator_world import _person

    post = create_place(code="TH-POST", name="Border post", kind="site", parent=world["TH"],
                        site_type="border_post")  # fmt: skip
    for i in range(12):
        _person(post, f"P{i}", "female", exports.timezone.datetime(1990, 1, 1).date(), "MM",
                "REG_LAB")  # fmt: skip
    mapping = exports.load_mapping()  # the bundled one: PEOPLE_REGISTERED by sex and status
    assert "migration_status" in mapping.indicators["PEOPLE_REGISTERED"]["by"]
    refused: list[str] = []
    rows, _withheld = exports.values(
        mapping, world["TH"], ["2026-Q1"], children=True, refused=refused
    )
    assert "TH-POST" not in {v.org_unit for v in rows if v.data_element == "MHIS_PEOPLE_REGISTERED"}
    assert "PEOPLE_REGISTERED" in refused
    # Without the breakdown by place, the country's own figures go as before.
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-Q1"])
    assert {v.org_unit for v in rows if v.data_element == "MHIS_PEOPLE_REGISTERED"} == {"TH"}


def test_the_dashboard_gives_no_status_breakdown_by_place_where_a_site_sits_under_the_country(
    db, world, analyst
):
    # The same rule on the indicator pages and API: a country's breakdown by place would give a
    # site directly under it one row of its own people by migration status.
    from django.core.exceptions import ValidationError

    from mhis.indicators import services
    from mhis.places.services import create_place

    indicator = services.get("PEOPLE_REGISTERED")
    services.check_disaggregation(analyst, indicator, world["TH"], ("place", "migration_status"))
    create_place(code="TH-POST", name="Border post", kind="site", parent=world["TH"],
                 site_type="border_post")  # fmt: skip
    with pytest.raises(ValidationError):
        services.check_disaggregation(
            analyst, indicator, world["TH"], ("place", "migration_status")
        )
    # The country as a whole, by status, is still given.
    services.check_disaggregation(analyst, indicator, world["TH"], ("migration_status",))


# -- roles and places --------------------------------------------------------------------------


@pytest.fixture
def standin(settings):
    from .dhis2_standin import StandIn

    with StandIn() as server:
        settings.MHIS_DHIS2_URL = server.url
        settings.MHIS_DHIS2_USERNAME, settings.MHIS_DHIS2_PASSWORD = "admin", "district"
        settings.MHIS_DHIS2_TOKEN = ""
        settings.MHIS_DHIS2_TIMEOUT = 5
        yield server


def test_a_role_without_status_breakdowns_never_sends_them(world, people, client, standin):
    build(world)
    # The administrator may send to DHIS2 but not break indicators down by migration status:
    # the bundled mapping's PEOPLE_REGISTERED (by sex and status) is left out, and named.
    client.force_login(people["admin"])
    page = client.post("/indicators/dhis2/", {"action": "dry_run", "place": "TH",
                                              "period": "2026-Q1"})  # fmt: skip
    assert page.status_code == 200
    [sent] = standin.instance.requests
    assert sent["dataValues"]
    assert not [v for v in sent["dataValues"] if v["dataElement"] == "MHIS_PEOPLE_REGISTERED"]
    assert "PEOPLE_REGISTERED" in page.content.decode().split("Not sent")[1]


def test_another_countrys_data_is_neither_previewed_nor_sent(world, people, client, standin):
    build(world)
    client.force_login(people["hn_analyst"])
    page = client.post("/indicators/dhis2/", {"action": "dry_run", "place": "TH",
                                              "period": "2026-Q1", "children": "on"})  # fmt: skip
    assert page.status_code == 403 and standin.instance.requests == []


def test_the_mapping_cannot_be_saved_by_another_role_nor_without_the_form_token(
    world, people, analyst
):
    from django.test import Client

    from mhis.indicators.models import ExportMapping

    text = BY_CODE.read_text()
    other = Client()
    other.force_login(people["clinician"])
    assert other.post("/indicators/dhis2/", {"action": "save", "text": text}).status_code == 403
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(analyst)
    assert forged.post("/indicators/dhis2/", {"action": "save", "text": text}).status_code == 403
    assert not ExportMapping.objects.exists()


def test_an_analyst_cannot_remap_another_countrys_places(world, people, client):
    # The mapping is one for every country: an analyst in Honduras who maps Thailand's places
    # to other org units would send Thailand's figures to the wrong org units in DHIS2.
    from mhis.indicators.models import ExportMapping

    ExportMapping.objects.create(text=BY_CODE.read_text() + '\n[org_units]\nTH-63 = "TH-63"\n')
    client.force_login(people["hn_analyst"])
    moved = BY_CODE.read_text() + '\n[org_units]\nTH-63 = "HN-05"\n'
    page = client.post("/indicators/dhis2/", {"action": "save", "text": moved})
    assert page.status_code == 200
    assert "org_units.TH-63" in page.content.decode()
    assert ExportMapping.objects.count() == 1
    # Their own country's places they may map.
    own = BY_CODE.read_text() + '\n[org_units]\nTH-63 = "TH-63"\nHN = "HN-00"\n'
    assert client.post("/indicators/dhis2/", {"action": "save", "text": own}).status_code == 302
    assert ExportMapping.objects.count() == 2


# -- against DHIS2's documented behaviour ------------------------------------------------------


def test_the_attribute_option_combo_is_read_in_its_own_scheme(world, standin, tmp_path):
    # DHIS2 reads the attribute option combo in attributeOptionComboIdScheme, an import
    # parameter (a dataValueSet has no field for it), else idScheme — not in the category
    # option combos' scheme. A mapping by code whose combos are UIDs must say so.
    build(world)
    path = tmp_path / "aoc.toml"
    path.write_text(
        'data_set = "MIG_HEALTH_Q"\nid_scheme = "code"\nattribute_option_combo = "HllvX50cXC0"\n'
        '[id_schemes]\ncategory_option_combo = "uid"\n'
        '[indicators.CXR_COVERAGE]\ndata_element = "MIG_CXR_COVERAGE"\n'
    )
    mapping = exports.load_mapping(path)
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-Q1"])
    document = exports.dhis2(mapping, rows)
    assert "attributeOptionComboIdScheme" not in document  # not a field DHIS2 reads there
    summary = dhis2.push(document)
    assert summary.clean, summary.lines()
    assert dhis2.parameters(document, dry_run=True)["attributeOptionComboIdScheme"] == "uid"
