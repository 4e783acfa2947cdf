"""Change events: a committed write announces what it changed and the indicator cache forgets
it; a rolled-back write announces nothing; a bulk import announces once per transaction;
every admin page announces."""

import csv
import datetime as dt

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory

from mhis import events
from mhis.care.models import Encounter
from mhis.care.services import record_encounter
from mhis.indicators import services as indicators
from mhis.indicators.models import CachedResult
from mhis.intake import services as intake
from mhis.places.models import Place
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
THIS_MONTH = f"{TODAY:%Y-%m}"
LAST_YEAR = f"{TODAY.year - 1}-01"


@pytest.fixture
def heard():
    """Every delivery of committed changes, as a list of lists."""
    deliveries = []
    handler = events.subscribe(deliveries.append)
    yield deliveries
    events.unsubscribe(handler)


@pytest.fixture
def cached(world):
    """ENCOUNTERS and PEOPLE_REGISTERED computed (and cached) for this month and one long ago."""

    def months():
        return set(
            CachedResult.objects.filter(indicator__in=["ENCOUNTERS", "PEOPLE_REGISTERED"])
            .values_list("indicator", "period")
        )  # fmt: skip

    for code in ("ENCOUNTERS", "PEOPLE_REGISTERED"):
        indicators.table(indicators.get(code), [LAST_YEAR, THIS_MONTH], world["TH"].path)
    assert months() == {(code, month) for code in ("ENCOUNTERS", "PEOPLE_REGISTERED")
                        for month in (LAST_YEAR, THIS_MONTH)}  # fmt: skip
    return months


def encounter(day=TODAY):
    return {"site": "MSOT-CLIN", "kind": "consultation", "date": day.isoformat()}


def test_a_committed_write_forgets_its_periods_only_once_committed(
    cached, register, people, heard, django_capture_on_commit_callbacks
):
    person = register()
    with django_capture_on_commit_callbacks(execute=True):
        pass  # the registration above is not committed: nothing was heard, nothing forgotten
    assert heard == []
    assert len(cached()) == 4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_encounter(people["clinician"], person, encounter())
    assert len(cached()) == 4  # not before the commit
    for callback in callbacks:
        callback()  # the commit
    assert cached() == {("ENCOUNTERS", LAST_YEAR), ("PEOPLE_REGISTERED", LAST_YEAR),
                        ("PEOPLE_REGISTERED", THIS_MONTH)}  # fmt: skip
    [[change]] = heard
    assert change.kind == "care.encounter" and change.days == {TODAY}


def test_a_rolled_back_write_forgets_nothing(
    cached, register, people, heard, django_capture_on_commit_callbacks
):
    person = register()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_encounter(people["clinician"], person, encounter())
        raise RuntimeError("the request failed after the write")
    assert callbacks == [] and heard == []
    assert len(cached()) == 4


def test_a_committed_registration_forgets_the_registration_period(
    cached, register, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register()
    assert ("PEOPLE_REGISTERED", THIS_MONTH) not in cached()
    assert ("ENCOUNTERS", THIS_MONTH) in cached()


def write_people(path, n, corrected=()):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "full_name", "site", "sex", "dob", "nationality"])
        for i in range(n):
            name = f"Aung Aung {i}" + (" Corrected" if i in corrected else "")
            writer.writerow([f"K-{i}", name, "MSOT-CLIN", "male", "1990-01-01", "MM"])
    return path


def test_a_bulk_import_announces_once(
    cached, people, heard, tmp_path, django_capture_on_commit_callbacks
):
    columns = {"source_key": "id", "name": "full_name", "registration_site": "site",
               "sex": "sex", "birth_date": "dob", "nationality": "nationality"}  # fmt: skip
    path = write_people(tmp_path / "people.csv", 12)
    with django_capture_on_commit_callbacks(execute=True):
        intake.run_import(people["clinician"], path, source="clinic", columns=columns)
    [delivery] = heard  # one transaction, one announcement
    [change] = [c for c in delivery if c.kind == "registry.person"]
    assert change.days == {TODAY}
    assert ("PEOPLE_REGISTERED", THIS_MONTH) not in cached()
    assert ("PEOPLE_REGISTERED", LAST_YEAR) in cached()
    # Corrected rows are updated one by one, and still announced together.
    heard.clear()
    path = write_people(tmp_path / "corrected.csv", 12, corrected={2, 5, 7})
    with django_capture_on_commit_callbacks(execute=True):
        intake.run_import(people["clinician"], path, source="clinic")
    [delivery] = heard
    [change] = [c for c in delivery if c.kind == "registry.person"]
    changed = Person.objects.filter(display_name__endswith="Corrected")
    assert change.people == set(changed.values_list("pk", flat=True)) and len(change.people) == 3


def test_changes_collected_are_merged_by_kind():
    with events.collecting():
        events.announce("care.encounter", days=[dt.date(2026, 1, 1)], people=[1])
        with events.collecting():
            events.announce("care.encounter", days=[dt.date(2026, 2, 1)])
        events.announce("registry.person", days=None)
        collected = list(events._local.collectors[-1])
    assert events.merge(collected) == [
        events.Change("care.encounter", frozenset({dt.date(2026, 1, 1), dt.date(2026, 2, 1)}),
                      frozenset({1})),
        events.Change("registry.person", None),
    ]  # fmt: skip


def test_a_failing_subscriber_at_once_fails_the_write(register, people):
    def refuse(changes):
        raise RuntimeError("refused")

    person = register()
    events.subscribe(refuse, at_once=True)
    try:
        with pytest.raises(RuntimeError):
            record_encounter(people["clinician"], person, encounter())
    finally:
        events.unsubscribe(refuse)
    assert not Encounter.objects.filter(person=person).exists()


def test_every_admin_page_of_mhis_announces_its_changes():
    ours = {model: model_admin for model, model_admin in admin.site._registry.items()
            if model.__module__.startswith("mhis.")}  # fmt: skip
    assert Place in ours
    plain = [type(a).__name__ for a in ours.values() if not isinstance(a, events.AnnouncesChanges)]
    assert plain == []


def test_a_place_changed_in_the_admin_forgets_every_result(
    cached, people, heard, django_capture_on_commit_callbacks
):
    model_admin = admin.site._registry[Place]
    request = RequestFactory().post("/admin/places/place/")
    request.user = people["admin"]
    place = Place.objects.get(code="MSOT-CLIN")
    place.name = "Mae Sot Clinic"
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.save_model(request, place, form=None, change=True)
    assert [[c.kind for c in delivery] for delivery in heard] == [["places.place"]]
    assert cached() == set()
