"""Forms that speak: a refused save lists every problem at the top, each linking to its
field, and keeps what was typed; the workflow rules of the pages (merge confirmation, the
weekly report after saving, defaults of new care records)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.access.services import scope_sites
from mhis.care.models import Encounter
from mhis.care.services import record_encounter
from mhis.kinds import kind
from mhis.linkage.merges import merge_preview
from mhis.linkage.models import CandidatePair, LinkRun, Merge
from mhis.registry.models import Person, PersonSite
from mhis.surveillance.models import Alert, AlertState

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def summary(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The error summary's HTML and its (linked id, text) items; fails without a summary."""
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary on the page"
    block = match.group(0)
    assert "There is a problem" in block and "autofocus" in block and 'tabindex="-1"' in block
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', block, re.S)
    return block, links


def assert_links_to_fields(page: str, links: list[tuple[str, str]]) -> None:
    for field_id, _text in links:
        assert re.search(rf'<(input|select|textarea)[^>]*\bid="{re.escape(field_id)}"', page), (
            f"the summary links to #{field_id}, which is no field of the page"
        )


def test_a_refused_registration_lists_each_problem_linked_to_its_field_and_keeps_the_values(
    client, people, world
):
    client.force_login(people["clinician"])
    page = client.post(
        "/people/new/",
        {
            "registration_site": "MSOT-CLIN",
            "name": " ",
            "latin_name": "Naw Paw",
            "sex": "female",
            "birth_date": "2099",
            "contact": "+66 81 000 1111",
            "identifier_type": "passport",
            "identifier_value": "!!",
        },
    ).content.decode()
    assert Person.objects.count() == 0
    _block, links = summary(page)
    linked = {field_id for field_id, _ in links}
    assert {"id_name", "id_birth_date", "id_identifier_value"} <= linked
    assert_links_to_fields(page, links)
    # Each field in error says so, and points at its message.
    birth = re.search(r'<input[^>]*id="id_birth_date"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in birth and "id_birth_date_error" in birth
    assert 'id="id_birth_date_error"' in page
    # What was typed stays.
    assert 'value="Naw Paw"' in page and 'value="2099"' in page and "+66 81 000 1111" in page


def test_the_login_page_shows_the_summary_when_refused(client, people):
    page = client.post("/login/", {"username": "nobody", "password": "wrong"})
    block, _links = summary(page.content.decode())
    assert "<li>" in block


def test_a_refused_care_record_edit_shows_the_summary(client, people, register):
    person = register()
    encounter = record_encounter(
        people["clinician"], person, {"site": "MSOT-CLIN", "kind": "consultation", "date": TODAY}
    )
    client.force_login(people["clinician"])
    page = client.post(
        f"/care/encounter/{encounter.pk}/edit/",
        {"site": "MSOT-CLIN", "kind": "consultation", "date": "not a day", "paid_by": "waived",
         "reason": "Cough for three weeks"},
    ).content.decode()  # fmt: skip
    _block, links = summary(page)
    assert ("id_date" in {i for i, _ in links}) and "Cough for three weeks" in page
    assert_links_to_fields(page, links)


@pytest.fixture
def alert(client, people, world):
    client.force_login(people["chw"])
    client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                          "cholera-female": "1"})  # fmt: skip
    return Alert.objects.get(condition="cholera")


def test_discarding_an_alert_without_a_reason_is_listed_in_the_summary(client, people, alert):
    client.force_login(people["admin"])
    # The alert is new: discarding is one of its next steps, but needs a reason.
    response = client.post(f"/surveillance/alerts/{alert.pk}/", {"state": "discarded"})
    page = response.content.decode()
    assert response.status_code == 422
    _block, links = summary(page)
    assert ("note", "Say why the alert is discarded.") in links
    assert_links_to_fields(page, links)
    assert re.search(r'<input[^>]*value="discarded"[^>]*checked', page)  # the choice stays
    assert re.search(r'<textarea[^>]*id="note"[^>]*aria-invalid="true"', page)
    alert.refresh_from_db()
    assert alert.state == AlertState.NEW


def test_a_step_refused_on_a_closed_alert_shows_its_message(client, people, alert):
    Alert.objects.filter(pk=alert.pk).update(state=AlertState.CLOSED)
    client.force_login(people["admin"])
    response = client.post(f"/surveillance/alerts/{alert.pk}/", {"state": "verifying"})
    block, links = summary(response.content.decode())
    assert response.status_code == 422 and links == []  # no form left to link to
    assert "can go to" in block


def test_the_weekly_report_stays_on_the_site_and_shows_the_raised_alert_on_its_own(
    client, people, world
):
    client.force_login(people["admin"])  # Thailand: several sites, Ranong not the first
    sites = [s.code for s in scope_sites(people["admin"])]
    assert sites[0] != "RNG-PORT"
    sent = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                 "cholera-female": "1", "awd-male": "4",
                                                 "note": "Two villages"})  # fmt: skip
    assert sent.status_code == 302
    page = client.get(sent.url).content.decode()
    assert re.search(r'<option value="RNG-PORT" selected>', page)
    assert 'value="2026-W47"' in page and "Two villages" in page
    assert re.search(r'id="cholera-female" name="cholera-female" value="1"', page)
    assert re.search(r'id="awd-male" name="awd-male" value="4"', page)
    alert = Alert.objects.get(condition="cholera")
    warning = re.search(r'<section class="warning".*?</section>', page, re.S).group(0)
    assert f'href="/surveillance/alerts/{alert.pk}/"' in warning
    saved = re.search(r'<p class="message[^"]*"[^>]*>.*?</p>', page, re.S).group(0)
    assert "saved" in saved and "alert" not in saved  # the alert is not in the saved message


def test_a_refused_weekly_report_links_each_problem_and_keeps_the_counts(client, people, world):
    client.force_login(people["chw"])
    response = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W99",
                                                     "cholera-female": "-1", "awd-male": "4",
                                                     "note": "kept"})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 422
    _block, links = summary(page)
    assert {"week", "cholera-female"} <= {i for i, _ in links}
    assert_links_to_fields(page, links)
    assert 'value="2026-W99"' in page and 'value="-1"' in page and 'value="4"' in page
    assert ">kept</textarea>" in page


# -- merge confirmation ------------------------------------------------------------------------


@pytest.fixture
def pair(people, register, world):
    earlier = register()
    later = register(registration_site="RNG-PORT", by=people["admin"], episodes=[])
    record_encounter(
        people["admin"], later, {"site": "RNG-PORT", "kind": "consultation", "date": TODAY}
    )
    record_encounter(
        people["admin"], later, {"site": "RNG-PORT", "kind": "psychosocial", "date": TODAY}
    )
    run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.9, status=LinkRun.Status.DONE)
    return CandidatePair.objects.create(run=run, left=earlier, right=later, probability=0.9,
                                        weight=3)  # fmt: skip


def test_a_merge_asks_for_confirmation_showing_what_moves_and_nothing_moves_before(
    client, people, pair
):
    later = pair.right
    client.force_login(people["admin"])
    asked = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "same", "note": "Same permit"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "Confirm the merge" in page
    assert re.search(r"Encounters: 2</li>", page)
    assert "Ranong port health corner" in page  # the site the earlier record gains
    assert later.names.first().text in page
    assert later.identifiers.first().value in page
    assert 'name="confirm" value="1"' in page and 'value="Same permit"' in page
    # Nothing has moved.
    assert Merge.objects.count() == 0
    assert Encounter.objects.filter(person=later).count() == 2
    assert not PersonSite.objects.filter(person=pair.left, site__code="RNG-PORT").exists()
    pair.refresh_from_db()
    assert pair.status == CandidatePair.Status.REVIEW

    preview = merge_preview(people["admin"], pair.left, later)
    done = client.post(
        f"/linkage/pairs/{pair.pk}/", {"decision": "same", "note": "Same permit", "confirm": "1"}
    )
    assert done.status_code == 302
    merge = Merge.objects.get()
    # What the page showed is what moved.
    shown = {kind(item["kind"]).model_label: item["count"] for item in preview["counts"]}
    assert shown == {label: len(pks) for label, pks in merge.moved.items()}
    assert [s.pk for s in preview["sites"]] == list(
        PersonSite.objects.filter(pk__in=merge.added_sites).values_list("site_id", flat=True)
    )
    assert (merge.survivor, merge.merged, merge.note) == (pair.left, later, "Same permit")
    assert Encounter.objects.filter(person=pair.left).count() == 2


def test_a_refused_decision_keeps_the_note_and_links_to_the_choice(client, people, pair):
    client.force_login(people["admin"])
    response = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "", "note": "Unsure"})
    page = response.content.decode()
    assert response.status_code == 422
    _block, links = summary(page)
    assert [i for i, _ in links] == ["decision-same"]
    assert_links_to_fields(page, links)
    assert ">Unsure</textarea>" in page


def test_the_confirmation_is_refused_to_whoever_may_not_merge(client, people, pair):
    client.force_login(people["clinician"])
    assert client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "same"}).status_code in (
        403,
        404,
    )
    assert Merge.objects.count() == 0


# -- defaults of new care records ----------------------------------------------------------------


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else None


def test_new_care_records_start_from_today_and_the_users_site(client, people, register):
    person = register(registration_site="MSOT-BRDG")
    # A user of one site: that site.
    mm = register(registration_site="MWD-HOSP", by=people["mm_clinician"])
    client.force_login(people["mm_clinician"])
    page = client.get(f"/care/people/{mm.uuid}/timeline/").content.decode()
    assert _selected(page, "encounter-site") == "MWD-HOSP"
    assert re.search(rf'name="encounter-date" value="{TODAY.isoformat()}"', page)
    assert re.search(rf'name="referral-sent_on" value="{TODAY.isoformat()}"', page)
    # A user of several sites: the person's registration site among them.
    client.force_login(people["clinician"])
    page = client.get(f"/care/people/{person.uuid}/timeline/").content.decode()
    assert _selected(page, "encounter-site") == "MSOT-BRDG"
    assert _selected(page, "immunisation-site") == "MSOT-BRDG"
    # A changed record keeps its own date.
    old = record_encounter(
        people["clinician"],
        person,
        {"site": "MSOT-CLIN", "kind": "consultation", "date": TODAY - timedelta(days=9)},
    )
    page = client.get(f"/care/encounter/{old.pk}/edit/").content.decode()
    assert f'value="{(TODAY - timedelta(days=9)).isoformat()}"' in page
    assert _selected(page, "site") == "MSOT-CLIN"


def test_a_refused_record_on_the_timeline_shows_the_summary_in_its_form(client, people, register):
    person = register()
    client.force_login(people["clinician"])
    page = client.post(
        f"/care/people/{person.uuid}/encounter/new/",
        {"encounter-site": "MSOT-CLIN", "encounter-kind": "consultation",
         "encounter-diagnoses": "XYZ", "encounter-date": TODAY.isoformat(), "encounter-reason": "Cough for three weeks",
         "encounter-paid_by": "waived"},
        headers={"HX-Request": "true"},
    ).content.decode()  # fmt: skip
    assert Encounter.objects.count() == 0
    _block, links = summary(page)
    assert [i for i, _ in links] == ["id_encounter-diagnoses"]
    assert_links_to_fields(page, links)
    assert "Cough for three weeks" in page and 'value="XYZ"' in page
