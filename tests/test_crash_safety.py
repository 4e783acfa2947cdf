"""An import killed mid-write (SIGKILL, in a real process) leaves no record half-written, and
the same command run again completes it with every row exactly once; so does the server killed
while it imports an upload, once the import is resumed from its page. The processes write to a
SQLite file, or, when the suite runs on PostgreSQL, to a database of their own on its server.
"""

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings

from .processes import file_environment, free_port, mhis, serve

ROWS = 5000
BATCH = 1000
MAP = {"source_key": "id", "name": "full_name", "registration_site": "site", "sex": "sex",
       "birth_date": "dob", "nationality": "nationality"}  # fmt: skip
PASSWORD = "a-Strong-passphrase-42"
SETUP = f"""
from mhis.access.services import create_user
from mhis.places.services import create_place
th = create_place(code="TH", name="Thailand", kind="country")
tak = create_place(code="TH-63", name="Tak", kind="area", parent=th)
create_place(code="MSOT-CLIN", name="Mae Sot Migrant Clinic", kind="site", parent=tak, site_type="clinic")
create_user(username="clerk", password="{PASSWORD}", role="clinician", places=[tak])
"""


class Database:
    """The processes' database, read from outside them: a SQLite file or a PostgreSQL URL."""

    def __init__(self, sqlite: Path | None = None, url: str | None = None):
        self.sqlite, self.url = sqlite, url

    def row(self, sql: str) -> tuple | None:
        if self.sqlite:
            with sqlite3.connect(self.sqlite) as db:
                return db.execute(sql).fetchone()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            return db.execute(sql).fetchone()

    def one(self, sql: str):
        return self.row(sql)[0]


def _on_our_server(name: str) -> str:
    """The suite's PostgreSQL address (DATABASE_URL, which libpq reads too) for database `name`."""
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


@pytest.fixture
def database(tmp_path):
    """A migrated database with a site and a clerk, outside the test's database."""
    env = file_environment(tmp_path)
    dropped = None
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"mhis_crash_{uuid.uuid4().hex[:12]}"
        maintenance = _on_our_server("postgres")
        with psycopg.connect(maintenance, autocommit=True) as server:
            server.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = _on_our_server(name)
        dropped, db = (maintenance, name), Database(url=env["DATABASE_URL"])
    else:
        db = Database(sqlite=tmp_path / "mhis.sqlite3")
    try:
        for args in (("migrate", "--no-input", "-v0"), ("shell", "-v", "0", "-c", SETUP)):
            done = mhis(*args, env=env, timeout=600)
            assert done.returncode == 0, done.stderr
        yield env, db
    finally:
        if dropped:
            with psycopg.connect(dropped[0], autocommit=True) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{dropped[1]}" WITH (FORCE)')


def _counts(db: Database) -> dict[str, int]:
    return {
        "people": db.one("select count(*) from registry_person"),
        "people without a name": db.one(
            "select count(*) from registry_person p where not exists "
            "(select 1 from registry_personname n where n.person_id = p.id)"
        ),
        "people without a site link": db.one(
            "select count(*) from registry_person p where not exists "
            "(select 1 from registry_personsite s where s.person_id = p.id)"
        ),
        "source records": db.one("select count(*) from intake_sourcerecord"),
        "distinct keys": db.one("select count(distinct key) from intake_sourcerecord"),
        "rows reported": db.one("select count(*) from intake_rowresult"),
        "rows done": db.one("select coalesce(max(done_rows), 0) from intake_job"),
    }


def _write_people(path: Path, header: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        for i in range(ROWS):
            out.writerow([f"K-{i:05d}", f"Aung Kyaw {i}", "MSOT-CLIN", "male",
                          f"19{70 + i % 30}-0{1 + i % 9}-1{i % 9}", "MM"])  # fmt: skip


@pytest.mark.slow
def test_an_import_killed_mid_write_leaves_whole_batches_and_a_rerun_completes_it_once(
    database, tmp_path
):
    env, db = database
    table = tmp_path / "people.csv"
    _write_people(table, header=["id", "full_name", "site", "sex", "dob", "nationality"])
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


def _logged_in(base):
    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    response = session.post(f"{base}/login/", timeout=30, allow_redirects=False, data={
        "username": "clerk", "password": PASSWORD,
        "csrfmiddlewaretoken": session.cookies["csrftoken"]})  # fmt: skip
    assert response.status_code == 302, response.text[:500]
    return session


def _post(session, url, **kwargs):
    session.get(url.rsplit("/", 2)[0] + "/imports/", timeout=30)  # a fresh CSRF cookie
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **kwargs.pop("data", {})}
    return session.post(url, data=data, timeout=60, allow_redirects=False, **kwargs)


def _job(db: Database) -> tuple[int, str, int]:
    return db.row("select id, status, done_rows from intake_job") or (0, "", 0)


@pytest.mark.slow
def test_a_server_killed_mid_import_leaves_whole_batches_and_resumes_it_once(database, tmp_path):
    env, db = database
    env = {**env, "MHIS_SECURE_COOKIES": "0"}  # plain HTTP on loopback
    table = tmp_path / "upload.csv"
    _write_people(table, header=list(MAP))  # the columns named as the fields: no mapping
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port, log)
    try:
        session = _logged_in(base)
        with table.open("rb") as f:
            started = _post(session, f"{base}/imports/", data={"what": "kind:people", "source": "clinic"},
                            files={"file": ("people.csv", f, "text/csv")})  # fmt: skip
        assert started.status_code == 302, started.text[:500]
        deadline = time.monotonic() + 120
        while _job(db)[2] < BATCH and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)  # as the first batch is committed
        server.wait(timeout=30)
    finally:
        server.kill()
    pk, status, _ = _job(db)
    killed = _counts(db)
    assert status == "running" and 0 < killed["people"] < ROWS, "the import was not killed half-way"
    assert killed["people"] % BATCH == 0
    assert killed["people without a name"] == killed["people without a site link"] == 0
    assert (
        killed["source records"]
        == killed["rows reported"]
        == killed["rows done"]
        == killed["people"]
    )

    # Started again, the server offers the stopped import; resumed, it completes once.
    server = serve(env, port, log)
    try:
        session = _logged_in(base)
        page = session.get(f"{base}/imports/{pk}/", timeout=30).text
        assert f"/imports/{pk}/resume/" in page
        resumed = _post(session, f"{base}/imports/{pk}/resume/")
        assert resumed.status_code == 302
        deadline = time.monotonic() + 300
        while _job(db)[1] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.kill()
        server.wait(timeout=30)
    assert _job(db)[1] == "done"
    final = _counts(db)
    assert final["people"] == final["source records"] == final["distinct keys"] == ROWS
    assert final["rows reported"] == ROWS and final["people without a name"] == 0
