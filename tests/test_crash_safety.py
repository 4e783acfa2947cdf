"""An import killed mid-write (SIGKILL, in a real process) leaves no record half-written, and
the same command run again completes it with every row exactly once; so does a worker
(`mhis worker`) killed while it imports an upload, once another worker takes the import over,
or once it is resumed from its page. The processes write to a SQLite file, or, when the suite
runs on PostgreSQL, to a database of their own on its server.
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

from .processes import file_environment, free_port, mhis, serve, work

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


LEASE = 5  # seconds: a killed worker's import is taken over soon after; long enough that a
# heartbeat waiting on a busy SQLite file (the import's batch) still comes in time


def _job(db: Database) -> tuple[int, str, int]:
    return db.row("select id, status, done_rows from intake_job") or (0, "", 0)


def _task(db: Database) -> tuple[str, str, int]:
    """The import's task: its status, the workers that ran it, and its lease's attempts."""
    return db.row(
        "select t.status, t.worker_ids, l.attempts from intake_job j "
        "join django_tasks_database_dbtaskresult t on t.id = j.task_id "
        "left join work_lease l on l.task_id = t.id"
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.01)


def _killed_mid_import(db: Database, env: dict, tmp_path, base: str, port: int):
    """Upload a table to the server, let a worker import it, and SIGKILL the worker as its
    first batch is committed; the server's session, and the server still running."""
    table = tmp_path / "upload.csv"
    _write_people(table, header=list(MAP))  # the columns named as the fields: no mapping
    server = serve(env, port, tmp_path / "server.log")
    worker = work(env, tmp_path / "worker.log", "--no-schedule")
    try:
        session = _logged_in(base)
        with table.open("rb") as f:
            started = _post(session, f"{base}/imports/", data={"what": "kind:people", "source": "clinic"},
                            files={"file": ("people.csv", f, "text/csv")})  # fmt: skip
        assert started.status_code == 302, started.text[:500]
        pk = _job(db)[0]
        _wait(lambda: db.one("select count(*) from work_lease") == 1, 60, "the worker's claim")
        # The server never ran the import, and the worker's lease is live: no Resume.
        page = session.get(f"{base}/imports/{pk}/", timeout=30).text
        assert worker.poll() is None and f"/imports/{pk}/resume/" not in page
        _wait(lambda: _job(db)[2] >= BATCH, 120, "the first batch")
        worker.send_signal(signal.SIGKILL)  # as the first batch is committed
        worker.wait(timeout=30)
    except BaseException:
        server.kill()
        raise
    finally:
        worker.kill()
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
    return session, server, pk


def _ended(db: Database) -> bool:
    unfinished = "select count(*) from django_tasks_database_dbtaskresult where status in ('READY', 'RUNNING')"  # fmt: skip
    return _job(db)[1] != "running" and db.one(unfinished) == 0


def _imported_once(db: Database) -> None:
    assert _job(db)[1] == "done"
    final = _counts(db)
    assert final["people"] == final["source records"] == final["distinct keys"] == ROWS
    assert final["rows reported"] == ROWS and final["people without a name"] == 0


@pytest.fixture
def served(database, tmp_path):
    env, db = database
    env = {**env, "MHIS_SECURE_COOKIES": "0", "MHIS_WORKER_LEASE_SECONDS": str(LEASE)}
    port = free_port()
    return env, db, port, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_whole_batches_and_another_takes_it_over_once(
    served, tmp_path
):
    env, db, port, base = served
    _session, server, _pk = _killed_mid_import(db, env, tmp_path, base, port)
    server.kill()
    server.wait(timeout=30)
    # A worker started again takes the import over once its lease expired, and completes it.
    worker = work(env, tmp_path / "worker.log", "--no-schedule")
    try:
        _wait(lambda: _ended(db), 300, "the import and its task to end")
    finally:
        worker.kill()
        worker.wait(timeout=30)
    _imported_once(db)
    status, workers, attempts = _task(db)
    assert status == "SUCCESSFUL" and attempts is None  # finished: its lease is gone
    workers = json.loads(workers) if isinstance(workers, str) else workers  # SQLite: text
    assert len(workers) == 2  # claimed once, taken over once


@pytest.mark.slow
def test_a_worker_killed_mid_import_is_offered_for_resume_by_the_server_and_resumes_once(
    served, tmp_path
):
    env, db, port, base = served
    session, server, pk = _killed_mid_import(db, env, tmp_path, base, port)
    try:
        # The page, served by a process that never ran the import, offers Resume once the
        # killed worker's lease has expired (read from the database).
        _wait(lambda: f"/imports/{pk}/resume/" in session.get(f"{base}/imports/{pk}/", timeout=30).text,
              LEASE + 30, "Resume on the page")  # fmt: skip
        resumed = _post(session, f"{base}/imports/{pk}/resume/")
        assert resumed.status_code == 302
        page = session.get(f"{base}/imports/{pk}/", timeout=30).text
        assert f"/imports/{pk}/resume/" not in page  # queued again: no second Resume
        worker = work(env, tmp_path / "worker.log", "--no-schedule")
        try:
            _wait(lambda: _ended(db), 300, "the import and its task to end")
        finally:
            worker.kill()
            worker.wait(timeout=30)
    finally:
        server.kill()
        server.wait(timeout=30)
    _imported_once(db)
    # The killed worker's task was given up; the one queued by Resume ran the rest.
    tasks = db.row("select count(*), sum(case when status = 'FAILED' then 1 else 0 end), "
                   "sum(case when status = 'SUCCESSFUL' then 1 else 0 end) from django_tasks_database_dbtaskresult")  # fmt: skip
    assert tuple(tasks) == (2, 1, 1)
