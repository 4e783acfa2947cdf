"""A name key's prefix is matched as a range of the name-key index's order (`Begins`): the
same keys as "starts with", for keys in any script and holding LIKE's own wildcards, and on
PostgreSQL read from the index even by a plan made for any value, as a prepared statement's
is (ADR 0037)."""

import pytest
from django.db import connection
from django.db.models import F

from mhis.lookups import Begins
from mhis.registry.models import NameKey

pytestmark = pytest.mark.django_db

KEYS = ["aung", "aungkyaw", "aun", "aunh", "aung%", "aung_", "aunga", "maung", "a", "",
        "thida", "ธิดา", "ธิ", "ဒေါ်", "ဒေါ်သီ", "zoë", "zoe", "z"]  # fmt: skip
PREFIXES = ["aung", "aun", "a", "aung%", "aung_", "ธิ", "ဒေါ်", "zo", "zoë", "q", "%", "_"]


@pytest.fixture
def keyed(register):
    person = register(names=[{"text": "Aung Kyaw"}])
    NameKey.objects.filter(person=person).delete()
    NameKey.objects.bulk_create([NameKey(person=person, key=k) for k in KEYS])
    return person


@pytest.mark.parametrize("prefix", PREFIXES)
def test_begins_matches_exactly_the_keys_that_start_with_the_prefix(keyed, prefix):
    found = set(
        NameKey.objects.filter(Begins(F("key"), prefix), person=keyed).values_list("key", flat=True)
    )
    assert found == {k for k in KEYS if k.startswith(prefix)}


def test_a_plan_made_for_any_prefix_still_reads_the_name_key_index(keyed):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans for any value (prepared statements) only")
    sql, params = (
        NameKey.objects.filter(Begins(F("key"), "aung"))
        .values_list("person_id", flat=True)
        .query.sql_with_params()
    )
    placeholders = sql.replace("%s", "$1", 1).replace("%s", "$2", 1)
    from psycopg import ClientCursor  # values quoted here: the statement's own $1, $2 stay

    connection.ensure_connection()
    with ClientCursor(connection.connection) as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE prefix_plan (text, text) AS {placeholders}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("EXPLAIN EXECUTE prefix_plan (%s, %s)", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE prefix_plan")
    assert "$1" in plan  # the plan made for any value, not for 'aung'
    assert "Index Cond" in plan and "~>=~" in plan and "~<~" in plan, plan
