"""An import warns of people likely already registered: each new person scored by the linkage
model against the people the importer may see, the row reported with the likely person's id,
and nothing held back or merged."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from mhis.access.models import AccessLog
from mhis.intake import services
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db

# The model a linkage run over the small demo world trained (Splink's JSON, as a run keeps it).
MODEL = Path(__file__).parent / "data" / "linkage_model_demo_small.json"


@pytest.fixture(autouse=True)
def trained_model(db):
    """A finished run over the whole registry, with the model it trained."""
    from django.utils import timezone

    from mhis.linkage.models import LinkRun

    return LinkRun.objects.create(
        status=LinkRun.Status.DONE, scope=LinkRun.Scope.ALL, threshold=0.5,
        cluster_threshold=0.99, finished_at=timezone.now(), records=5000,
        model=json.loads(MODEL.read_text(encoding="utf-8")),
    )  # fmt: skip


HEADER = ["id", "full_name", "site", "sex", "dob", "nationality"]
MAP = {"source_key": "id", "name": "full_name", "registration_site": "site", "sex": "sex",
       "birth_date": "dob", "nationality": "nationality"}  # fmt: skip


def _csv(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _known(register, by=None, site="MSOT-CLIN"):
    return register(by=by, registration_site=site, names=[{"text": "Aung Kyaw Moe"}],
                    sex="male", birth_date="1988-07-14", nationality="MM", identifiers=[],
                    episodes=[])  # fmt: skip


ROWS = [
    ["C-1", "Aung Kyaw Mo", "MSOT-CLIN", "male", "1988-07-14", "MM"],  # a variant spelling
    ["C-2", "Nguyen Thi Lan", "MSOT-CLIN", "female", "1979-02-03", "VN"],  # someone else
]


def test_a_variant_spelling_of_someone_registered_is_reported_and_still_imported(
    people, register, tmp_path
):
    known = _known(register)
    job = services.run_import(people["clinician"], _csv(tmp_path / "c.csv", ROWS),
                              source="clinic", columns=MAP)  # fmt: skip
    assert Person.objects.count() == 3  # both rows imported: a warning, not a refusal
    rows = {r.source_key: r for r in job.rows.all()}
    variant, other = rows["C-1"], rows["C-2"]
    assert variant.outcome == "duplicate" and variant.person.display_name == "Aung Kyaw Mo"
    [likely] = variant.likely
    assert likely["person"] == known.pk and likely["probability"] >= 0.5
    assert f"record {known.pk}" in variant.reason
    assert other.outcome == "created" and other.likely == [] and other.reason == ""
    assert Person.objects.get(pk=variant.person_id).merged_into_id is None


def test_the_job_page_and_the_command_name_the_likely_person(people, register, tmp_path, client):
    known = _known(register)
    path = _csv(tmp_path / "cmd.csv", ROWS)
    out = io.StringIO()
    call_command("import", str(path), user="mae_sot_clinician", source="cmd",
                 map=json.dumps(MAP), stdout=out)  # fmt: skip
    text = out.getvalue()
    assert f"likely already registered as {known.pk} (" in text and "row 1 (C-1)" in text
    assert "row 2 (C-2)" not in text
    job = services.visible_jobs(people["clinician"]).get()
    client.force_login(people["clinician"])
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Likely already registered" in page and f"/people/{known.uuid}/" in page
    assert AccessLog.objects.filter(person=known, view="intake.job.likely").exists()


def test_someone_outside_the_importers_places_is_not_named(people, register, tmp_path):
    _known(register, by=people["hn_clinician"], site="SPS-CAMR")
    job = services.run_import(people["clinician"], _csv(tmp_path / "c.csv", ROWS[:1]),
                              source="clinic", columns=MAP)  # fmt: skip
    (row,) = job.rows.all()
    assert row.outcome == "created" and row.likely == []


def test_only_the_new_rows_are_scored(people, register, tmp_path, monkeypatch):
    from mhis.intake import services as intake

    _known(register)
    scored = []
    real = intake.likely_for_people

    def spy(user, person_ids, threshold):
        scored.append(sorted(person_ids))
        return real(user, person_ids, threshold)

    monkeypatch.setattr(intake, "likely_for_people", spy)
    path = _csv(tmp_path / "c.csv", ROWS)
    services.run_import(people["clinician"], path, source="clinic", columns=MAP)
    new = sorted(Person.objects.filter(display_name__in=["Aung Kyaw Mo", "Nguyen Thi Lan"])
                 .values_list("pk", flat=True))  # fmt: skip
    assert scored == [new]
    scored.clear()
    services.run_import(people["clinician"], path, source="clinic")  # unchanged: nothing new
    assert scored in ([], [[]])


def test_before_any_linkage_run_only_the_exact_check_is_made(
    people, register, tmp_path, monkeypatch, trained_model
):
    from mhis.intake import services as intake

    trained_model.delete()
    _known(register)
    monkeypatch.setattr(intake, "likely_for_people", lambda *a: pytest.fail("scored"))
    job = services.run_import(people["clinician"], _csv(tmp_path / "c.csv", ROWS),
                              source="clinic", columns=MAP)  # fmt: skip
    assert dict(job.rows.values_list("source_key", "outcome")) == {"C-1": "created",
                                                                   "C-2": "created"}  # fmt: skip
