"""An import killed mid-write (SIGKILL, in a real process, on a database file) leaves no
record half-written, and the same command run again completes it with every row exactly once.
"""

import csv
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .processes import file_environment, mhis

ROWS = 5000
BATCH = 1000
MAP = {"source_key": "id", "name": "full_name", "registration_site": "site", "sex": "sex",
       "birth_date": "dob", "nationality": "nationality"}  # fmt: skip
SETUP = """
from mhis.access.services import create_user
from mhis.places.services import create_place
th = create_place(code="TH", name="Thailand", kind="country")
tak = create_place(code="TH-63", name="Tak", kind="area", parent=th)
create_place(code="MSOT-CLIN", name="Mae Sot Migrant Clinic", kind="site", parent=tak, site_type="clinic")
create_user(username="clerk", password=None, role="clinician", places=[tak])
"""


@pytest.fixture
def database(tmp_path):
    """A migrated SQLite database file with a site and a clerk, outside the test's database."""
    env = file_environment(tmp_path)
    for args in (("migrate", "--no-input", "-v0"), ("shell", "-v", "0", "-c", SETUP)):
        done = mhis(*args, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
    return env, tmp_path / "mhis.sqlite3"


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "people": one("select count(*) from registry_person"),
            "people without a name": one(
                "select count(*) from registry_person p where not exists "
                "(select 1 from registry_personname n where n.person_id = p.id)"
            ),
            "people without a site link": one(
                "select count(*) from registry_person p where not exists "
                "(select 1 from registry_personsite s where s.person_id = p.id)"
            ),
            "source records": one("select count(*) from intake_sourcerecord"),
            "distinct keys": one("select count(distinct key) from intake_sourcerecord"),
            "rows reported": one("select count(*) from intake_rowresult"),
            "rows done": one("select coalesce(max(done_rows), 0) from intake_job"),
        }


@pytest.mark.slow
def test_an_import_killed_mid_write_leaves_whole_batches_and_a_rerun_completes_it_once(
    database, tmp_path
):
    env, db = database
    table = tmp_path / "people.csv"
    with table.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "full_name", "site", "sex", "dob", "nationality"])
        for i in range(ROWS):
            out.writerow([f"K-{i:05d}", f"Aung Kyaw {i}", "MSOT-CLIN", "male",
                          f"19{70 + i % 30}-0{1 + i % 9}-1{i % 9}", "MM"])  # fmt: skip
    command = [sys.executable, "-m", "mhis.cli", "import", str(table), "--user", "clerk",
               "--source", "clinic", "--map", json.dumps(MAP)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    for line in process.stdout:
        if line.startswith("rows ") and int(line.split()[1].split("/")[0]) >= BATCH:
            process.send_signal(signal.SIGKILL)  # as the first batch is committed
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    killed = _counts(db)
    assert 0 < killed["people"] < ROWS, "the import was not killed half-way"
    # Only whole batches: each person complete, each with its source record and row report.
    assert killed["people"] % BATCH == 0
    assert killed["people without a name"] == killed["people without a site link"] == 0
    assert killed["source records"] == killed["rows reported"] == killed["rows done"]
    assert killed["rows done"] == killed["people"]

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert rerun.returncode == 0, rerun.stderr
    final = _counts(db)
    assert final["people"] == final["source records"] == final["distinct keys"] == ROWS
    assert final["rows reported"] == ROWS and final["people without a name"] == 0
