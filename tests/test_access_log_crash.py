"""A server killed in the middle of reads (SIGKILL, a real process answering over HTTP) has
written the access-log row of every read it answered: the row is written before the answer
leaves, never after it or in the background (ADR 0034). The server writes to a SQLite file,
or, when the suite runs on PostgreSQL, to a database of its own on the suite's server.
"""

import json
import signal
import threading
import time

import pytest
import requests

from .processes import free_port, mhis, serve
from .test_crash_safety import database  # noqa: F401 - the fixture: a migrated database

PEOPLE = 12
READERS = 4
SETUP = """
import json
from mhis.access.models import User
from mhis.access.services import create_token
from mhis.registry.services import register_person
user = User.objects.get(username="clerk")  # a clinician at Tak, where MSOT-CLIN is
people = [
    str(register_person(user, {"registration_site": "MSOT-CLIN", "names": [{"text": f"Aung Kyaw {n}"}],
                              "sex": "male", "birth_date": "1990", "nationality": "MM"}).uuid)
    for n in range(%d)
]
print(json.dumps({"token": create_token(user)[1], "people": people}))
"""


@pytest.mark.slow
def test_every_read_answered_before_the_server_is_killed_has_its_access_log_row(
    database,  # noqa: F811
    tmp_path,
):
    env, db = database
    made = mhis("shell", "-v", "0", "-c", SETUP % PEOPLE, env=env, timeout=300)
    assert made.returncode == 0, made.stderr
    plan = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port, tmp_path / "server.log")
    headers = {"Authorization": f"Bearer {plan['token']}"}
    answered: list[tuple[str, str]] = []  # (person, what was read) answered 200
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def read(n: int) -> None:
        session = requests.Session()
        i = n
        while not stop.is_set():
            person = plan["people"][i % PEOPLE]
            path, view = (
                (f"/api/persons/{person}/timeline", "api:timeline")
                if i % 2
                else (f"/api/persons/{person}", "api:person_read")
            )
            i += READERS
            try:
                response = session.get(base + path, headers=headers, timeout=10)
            except requests.RequestException:
                continue  # the server is gone: this read was never answered
            with lock:
                if response.status_code == 200:
                    answered.append((person, view))
                else:
                    failed.append(f"{path}: {response.status_code}")

    readers = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    try:
        for thread in readers:
            thread.start()
        deadline = time.monotonic() + 30
        while len(answered) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)  # while the readers are still sending
        server.wait(timeout=30)
        time.sleep(0.3)  # reads in flight fail now
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=30)
        if server.poll() is None:
            server.kill()
    assert server.returncode == -signal.SIGKILL
    assert failed == []
    assert len(answered) >= 40, "the server answered too few reads before it was killed"

    # Each answered read has its row: per person and view, at least as many rows as answers.
    for person, view in set(answered):
        expected = answered.count((person, view))
        uuid = person.replace("-", "") if db.sqlite else person  # SQLite: 32 hex digits
        logged = db.one(
            "select count(*) from access_accesslog l join registry_person p on p.id = l.person_id "  # noqa: S608 - our own values
            f"where p.uuid = '{uuid}' and l.view = '{view}'"
        )
        assert logged >= expected, (person, view, logged, expected)
