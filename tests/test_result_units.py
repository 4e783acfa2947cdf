"""A result's actual is set against its target only in the same unit: a percentage computed
from the records is never "8%" of a target counted in people."""

import datetime as dt
from decimal import Decimal

import pytest

from mhis.access.services import create_user
from mhis.programmes import codes, services
from mhis.programmes.models import Project, Result, ResultIndicator, ResultPeriod

from .indicator_world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world):
    build(world)
    return create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]])


def _linked(world, measure, target):
    project = Project.objects.create(code="P9", title="Coverage", type="promotion")
    result = Result.objects.create(project=project, type="2", title="Women covered")
    indicator = ResultIndicator.objects.create(
        result=result,
        title="Women enrolled",
        measure=measure,
        mhis_indicator="CXR_COVERAGE",  # a percentage
        place=world["TH"],
    )
    return ResultPeriod.objects.create(
        indicator=indicator,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        target=Decimal(target),
    )


def test_a_percentage_is_not_set_against_a_target_counted_in_people(manager, world, client):
    period = _linked(world, codes.Measure.UNIT, "800")
    [row] = services.results_against_targets(manager, Project.objects.all())
    assert row["actual"].unit == "percentage", row["actual"]
    assert row["share"] is None
    assert "Not comparable" in row["mismatch"] and "%" in row["mismatch"]
    client.force_login(manager)
    page = client.get("/programmes/").content.decode()
    assert "Not comparable" in page
    assert page.count("Not comparable") >= 1 and f"{period.target:.0f}%" not in page


def test_a_percentage_target_is_reached_by_a_percentage(manager, world):
    _linked(world, codes.Measure.PERCENTAGE, "50")
    [row] = services.results_against_targets(manager, Project.objects.all())
    shown = row["actual"]
    assert row["mismatch"] == ""
    assert shown.value is not None and shown.text.endswith(" %")
    assert row["share"] == round(100 * shown.value / 50)
