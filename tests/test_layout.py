"""The layout for the field: table cells labelled for the phone's cards, the patient banner on
the pages about a person, forms in short sections, the skip link and the menu."""

import datetime as dt

import pytest
from django import forms

from mhis.formtools import sections
from mhis.registry.banner import age_in_years
from mhis.tables import label_cells

pytestmark = pytest.mark.django_db


def test_each_data_cell_is_labelled_with_its_columns_heading():
    page = (
        "<table><thead><tr><th>Name</th><th colspan='2'>Born &amp; where</th><th>Site</th>"
        "</tr></thead><tbody><tr><th scope='row'>A</th><td>1991</td><td>MM</td>"
        "<td class='num'>Mae Sot</td></tr></tbody></table>"
    )
    labelled = label_cells(page)
    assert "<th scope='row'>A</th>" in labelled  # a row's heading is the card's title
    assert '<td data-label="Born &amp; where">1991</td>' in labelled
    assert '<td data-label="Born &amp; where">MM</td>' in labelled
    assert "<td data-label=\"Site\" class='num'>Mae Sot</td>" in labelled


def test_a_table_without_a_head_and_a_labelled_cell_are_left_as_they_are():
    page = (
        "<table><tr><th>Rows</th><td>3</td></tr></table>"
        "<table><thead><tr><th>X</th></tr></thead><tbody><tr><td data-label='Y'>1</td></tr>"
        "</tbody></table>"
    )
    assert label_cells(page) == page


def test_pages_are_served_with_labelled_cells(client, people, register):
    register(names=[{"text": "Thida Aye"}])
    client.force_login(people["clinician"])
    page = client.get("/people/", {"q": "thida"}).content.decode()
    assert '<td data-label="Name in Latin letters">Thida Aye</td>' in page


def test_the_people_search_announces_how_many_were_found(client, people, register):
    register(names=[{"text": "Thida Aye"}])
    client.force_login(people["clinician"])
    page = client.get("/people/", {"q": "thida"}).content.decode()
    assert '<p id="result-count" class="muted" role="status">1 person</p>' in page
    fragment = client.get(
        "/people/", {"q": "thida"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert '<p id="result-count" hx-swap-oob="innerHTML">1 person</p>' in fragment


def test_every_page_starts_with_a_skip_link_and_folds_its_links_under_a_menu(client, people):
    client.force_login(people["clinician"])
    page = client.get("/people/").content.decode()
    body = page[page.index("<body>") :]
    assert body.index('href="#main"') < body.index("<a", body.index('href="#main"') + 1)
    assert '<main id="main" tabindex="-1">' in page
    menu = page[page.index('<details class="menu">') : page.index("</details>")]
    assert "<summary>Menu</summary>" in menu and 'href="/people/"' in menu


@pytest.mark.parametrize(
    ("birth", "today", "years"),
    [("1991-04-03", "2026-04-02", 34), ("1991-04-03", "2026-04-03", 35), ("2024-02-29", "2025-02-28", 0)],
)  # fmt: skip
def test_age_counts_whole_years(birth, today, years):
    assert age_in_years(dt.date.fromisoformat(birth), dt.date.fromisoformat(today)) == years


def _banner(page: str) -> str:
    return page[page.index('<section class="banner"') : page.index("</section>")]


def test_the_banner_on_the_record_and_the_timeline(client, people, register):
    person = register(
        names=[{"text": "မောင်မောင်ဝင်း", "latin": "Maung Maung Win"}],
        sex="male",
        birth_date="1990-05-01",
    )
    client.force_login(people["clinician"])
    for url in (f"/people/{person.uuid}/", f"/care/people/{person.uuid}/timeline/"):
        banner = _banner(client.get(url).content.decode())
        assert "<h1>မောင်မောင်ဝင်း" in banner and "Maung Maung Win" in banner, url
        assert "Male" in banner and " years (" in banner, url


def test_the_banner_shows_identifiers_as_the_role_may_see_them(client, people, register):
    person = register()
    value = person.identifiers.get().value
    client.force_login(people["clinician"])
    banner = _banner(client.get(f"/care/people/{person.uuid}/timeline/").content.decode())
    assert "Work permit:" in banner and value in banner
    client.force_login(people["admin"])  # a role not shown migration status
    banner = _banner(client.get(f"/care/people/{person.uuid}/timeline/").content.decode())
    assert "Work permit" not in banner and "Identity document:" in banner and value in banner


class _Form(forms.Form):
    sections = (("Name", ("name",)), ("Birth", ("born",)), ("Empty", ("gone",)))
    name = forms.CharField()
    latin = forms.CharField()  # in no section: joins the field before it
    born = forms.CharField()


def test_a_form_in_sections_keeps_a_new_field_beside_its_neighbour():
    grouped = sections(_Form())
    assert [(s["legend"], [f.name for f in s["fields"]]) for s in grouped] == [
        ("Name", ["name", "latin"]),
        ("Birth", ["born"]),
    ]


def test_the_registration_form_is_in_sections(client, people):
    client.force_login(people["clinician"])
    page = client.get("/people/new/").content.decode()
    assert page.count("<fieldset>") >= 5
    assert "<legend>Sex and birth</legend>" in page
