"""AnyOf: "one of these ids" as one array parameter on PostgreSQL, the ordinary IN elsewhere."""

import pytest
from django.db import connection
from django.db.models import F

from mhis.lookups import AnyOf
from mhis.places.models import Place

pytestmark = pytest.mark.django_db


def test_any_of_selects_exactly_the_rows_whose_ids_are_listed(world):
    ids = sorted(Place.objects.values_list("pk", flat=True))
    wanted = ids[::2]
    # Thousands of ids, most of them of no row, as a broad name search sends.
    many = [*wanted, *range(max(ids) + 1, max(ids) + 3001)]
    assert sorted(Place.objects.filter(AnyOf(F("pk"), many)).values_list("pk", flat=True)) == wanted
    assert not Place.objects.filter(AnyOf(F("pk"), [])).exists()
    assert Place.objects.exclude(AnyOf(F("pk"), wanted)).count() == len(ids) - len(wanted)


def test_any_of_sends_the_list_as_one_parameter_on_postgresql(world):
    ids = list(range(1, 2001))
    sql, params = Place.objects.filter(AnyOf(F("pk"), ids)).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and len(params) == 1
    else:
        assert " IN (" in sql and len(params) == len(ids)
