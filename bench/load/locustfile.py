"""The load: person search, timeline read and encounter create through the API, as the demo
clinician with a bearer token, and the bare floor endpoint. Run by bench/load/run.py.

LOAD_PLAN names the plan written by prepare.py; LOAD_USER_RATE is each simulated user's
requests per second, arriving at random (0: send the next request as soon as the last one
is answered).
"""

import itertools
import json
import os
import random
import time
from datetime import date
from urllib.parse import quote

from locust import FastHttpUser, constant, task

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as _plan:
    PLAN = json.load(_plan)
RATE = float(os.environ.get("LOAD_USER_RATE", "0"))
HEADERS = {"Authorization": f"Bearer {PLAN['token']}"}
ENCOUNTER_KINDS = ["consultation", "mobile_clinic", "psychosocial"]
_serial = itertools.count()


def poisson(rate: float):
    """Waits that give each user arrivals at random (a Poisson process) at `rate` per second,
    however long the answers take. Fixed intervals would line users up into bursts."""

    def wait(user) -> float:
        now = time.monotonic()
        user.next_at = max(getattr(user, "next_at", now), now - 1) + user.random.expovariate(rate)
        return max(0.0, user.next_at - now)

    return wait


class _Api(FastHttpUser):
    abstract = True
    wait_time = poisson(RATE) if RATE else constant(0)

    def on_start(self):
        self.random = random.Random(next(_serial))

    def person(self):
        return self.random.choice(PLAN["people"])


class Search(_Api):
    @task
    def search(self):
        query = self.random.choice(PLAN["queries"])
        self.client.get(f"/api/persons?q={quote(query)}", headers=HEADERS, name="person search")


class Timeline(_Api):
    @task
    def timeline(self):
        self.client.get(
            f"/api/persons/{self.person()}/timeline", headers=HEADERS, name="timeline read"
        )


class Encounter(_Api):
    @task
    def create(self):
        body = {
            "site": PLAN["site"],
            "kind": self.random.choice(ENCOUNTER_KINDS),
            "date": date.today().isoformat(),
            "reason": "Cough and fever for three days",
            "diagnoses": [{"code": "J06.9"}],
        }
        with self.client.post(
            f"/api/persons/{self.random.choice(PLAN['written'])}/encounters",
            json=body,
            headers=HEADERS,
            name="encounter create",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Bare(_Api):
    @task
    def bare(self):
        self.client.get("/", name="bare endpoint")
