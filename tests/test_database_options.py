"""Prepared statements on PostgreSQL (`MHIS_DB_PREPARE_THRESHOLD`, ADR 0037): the setting
turns on server-side binding and psycopg's prepared statements after N executions of a
statement on a connection, `off` turns both off (for PgBouncer in transaction mode), and a
bad value stops start-up naming the setting. On PostgreSQL, a statement run more than N
times on a connection is prepared in the server; one run N times or fewer is not."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from .processes import environment

SRC = str(Path(__file__).resolve().parents[1] / "src")
POSTGRES_URL = "postgres://mhis@/mhis?host=/nowhere"  # parsed, never connected to
SQLITE_URL = "sqlite:////nowhere/mhis.sqlite3"


def started(url: str, threshold: str | None) -> subprocess.CompletedProcess:
    """Import the settings in a process of their own, as a server starting would, and print
    the database's OPTIONS and the setting's value."""
    env = environment(
        PYTHONPATH=SRC,
        DATABASE_URL=url,
        MHIS_DEBUG="1",
        MHIS_VAR_DIR=str(Path(__file__).resolve().parent / "nowhere"),
    )
    if threshold is not None:
        env["MHIS_DB_PREPARE_THRESHOLD"] = threshold
    code = (
        "import json, mhis.settings as s; print(json.dumps([s.DATABASES['default'].get("
        "'OPTIONS', {}), s.MHIS_DB_PREPARE_THRESHOLD]))"
    )
    return subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def options(url: str, threshold: str | None) -> tuple[dict, int | None]:
    done = started(url, threshold)
    assert done.returncode == 0, done.stderr
    found, value = json.loads(done.stdout)
    return found, value


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        ("5", {"server_side_binding": True, "prepare_threshold": 5}),
        ("1", {"server_side_binding": True, "prepare_threshold": 1}),
        (" 12 ", {"server_side_binding": True, "prepare_threshold": 12}),
        ("off", {}),
        ("OFF", {}),
        ("none", {}),
    ],
)
def test_the_setting_gives_the_postgresql_connection_its_options(threshold, expected):
    found, value = options(POSTGRES_URL, threshold)
    for key in ("server_side_binding", "prepare_threshold"):
        assert found.get(key) == expected.get(key), (threshold, found)
    assert value == expected.get("prepare_threshold")


def test_without_the_setting_postgresql_prepares_after_the_fifth_run():
    found, value = options(POSTGRES_URL, None)
    assert value == 5
    assert found.get("prepare_threshold") == 5 and found.get("server_side_binding") is True
    assert options(POSTGRES_URL, "")[0] == found  # empty is unset


def test_sqlite_gets_no_postgresql_options_whatever_the_setting():
    for threshold in ("5", "off", None):
        found, _ = options(SQLITE_URL, threshold)
        assert "prepare_threshold" not in found and "server_side_binding" not in found
        assert found["transaction_mode"] == "IMMEDIATE"  # the SQLite options are still there


@pytest.mark.parametrize("threshold", ["0", "-3", "five", "2.5", "yes"])
def test_a_bad_threshold_stops_start_up_naming_the_setting(threshold):
    done = started(POSTGRES_URL, threshold)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "MHIS_DB_PREPARE_THRESHOLD must be a whole number of 1 or more, or off" in done.stderr
    assert repr(threshold) in done.stderr


def _prepared(wrapper, marker: str) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_statement_run_more_than_the_threshold_times_on_a_connection_is_prepared():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; SQLite's driver has no setting")
    # The running server's own connection follows the setting.
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == settings.MHIS_DB_PREPARE_THRESHOLD
    # A connection opened with the options the setting gives for 3.
    found, _ = options(POSTGRES_URL, "3")
    given = {k: found[k] for k in ("server_side_binding", "prepare_threshold")}
    default = connections["default"]
    wrapper = type(default)(
        {**default.settings_dict, "OPTIONS": {**default.settings_dict["OPTIONS"], **given}}
    )
    try:
        marker = "prepared-statement-probe"
        sql = f"SELECT %s::int + 1 AS answer /* {marker} */"
        for n in range(1, 5):
            with wrapper.cursor() as cursor:
                cursor.execute(sql, [n])
                assert cursor.fetchone() == (n + 1,)
            prepared = [s for s in _prepared(wrapper, marker) if "SELECT $1::int" in s]
            # Run 3 times or fewer: not prepared; the 4th run is prepared (and bound by the
            # server: the parameter is $1, not the value written into the text).
            assert len(prepared) == (1 if n > 3 else 0), (n, prepared)
    finally:
        wrapper.close()
