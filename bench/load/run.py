"""Load benchmark: MHIS served by gunicorn on PostgreSQL, driven by locust on loopback.

Usage: bench/load/run.sh [options]     (a throwaway PostgreSQL cluster with durable settings)
   or: DATABASE_URL=postgres://… .venv/bin/python bench/load/run.py [options]

1. Migrates the database and builds the demo world (`--size`, default medium) unless the
   database already holds one; writes the plan (token, people, queries) with prepare.py.
2. Serves MHIS with production settings (debug off, its own keys) and the bare floor app
   (bare.py) with gunicorn, the same workers each, on free loopback ports.
3. For each of person search, timeline read and encounter create: `--rate` requests per
   second for `--duration` seconds (p50/p99 at that rate), then as many as `--users`
   simulated users can get answered in `--duration` seconds (throughput), and the same
   throughput run against the floor.
4. Prints a Markdown table for RESULTS.md and writes every figure to WORK/results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
ENDPOINTS = [
    ("Search", "person search"),
    ("Timeline", "timeline read"),
    ("Encounter", "encounter create"),
]
# The goals: p99 at 50 requests per second, and the share of the floor's throughput.
GOAL_P99_MS = {"person search": 150, "encounter create": 200}
GOAL_SHARE = 0.40


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_env(work: Path) -> dict[str, str]:
    keys_file = work / "keys.env"
    if not keys_file.exists():
        printed = subprocess.run(
            [BIN / "mhis", "keys"], capture_output=True, text=True, check=True
        ).stdout
        keys_file.write_text(printed)
        keys_file.chmod(0o600)
    keys = dict(line.split("=", 1) for line in keys_file.read_text().splitlines() if line)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MHIS_", "DJANGO_"))}
    env.update(keys)
    env.update(
        MHIS_VAR_DIR=str(work / "var"),
        MHIS_ALLOWED_HOSTS="127.0.0.1",
        MHIS_SECURE_COOKIES="0",  # plain HTTP on loopback
        MHIS_DB_CONN_MAX_AGE="600",  # what a production deployment sets
    )
    return env


def run(args: list, env: dict, **kwargs) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, **kwargs)
    if result.returncode:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def ensure_database(url: str) -> None:
    """Create the database DATABASE_URL names if the server does not have it yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    db = dj_database_url.parse(url)
    with psycopg.connect(
        dbname="postgres", host=db["OPTIONS"].get("host") or db["HOST"] or None,
        port=db["PORT"] or None, user=db["USER"] or None, password=db["PASSWORD"] or None,
        autocommit=True,
    ) as conn:  # fmt: skip
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db["NAME"],))
        if found.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            log(f"created database {db['NAME']}")


def prepare_world(work: Path, env: dict, size: str) -> dict:
    (work / "var").mkdir(parents=True, exist_ok=True)
    ensure_database(env["DATABASE_URL"])
    log("migrating")
    run([BIN / "mhis", "migrate", "--no-input", "-v0"], env)
    log(f"building the {size} demo world unless it is there (several minutes for medium)")
    started = time.monotonic()
    run([BIN / "mhis", "demo", "--if-absent", "--size", size, "--seed", "2026", "-v0"], env)
    log(f"world ready in {time.monotonic() - started:.0f} s")
    plan_file = work / "plan.json"
    log(run([sys.executable, HERE / "prepare.py", plan_file], env).strip())
    return json.loads(plan_file.read_text())


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group: the
    server's master and workers, read from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone since listed
        if int(fields[2]) == pgid:  # pgrp; utime and stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / tick


def children_cpu() -> float:
    """CPU seconds used by the finished children of this process (the load generator runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pinned(cpus: set[int] | None):
    """A preexec_fn limiting the child to `cpus` (None: no limit)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Server:
    """gunicorn serving `app` on a free loopback port until stopped."""

    def __init__(self, app: str, env: dict, workers: int, ready_path: str, chdir: Path | None,
                 cpus: set[int] | None = None):  # fmt: skip
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            BIN / "gunicorn", app, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning", "--backlog", "2048",
        ]  # fmt: skip
        if chdir:
            command += ["--chdir", str(chdir)]
        self.process = subprocess.Popen(
            command, env=env, start_new_session=True, preexec_fn=pinned(cpus)
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"gunicorn {app} did not start")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def locust(work: Path, plan_file: Path, host: str, user_class: str, *, users: int,
           rate: float, seconds: int, label: str, server: Server | None = None,
           cpus: set[int] | None = None) -> dict:  # fmt: skip
    """One locust run; besides its figures, the CPU seconds the generator and the server
    spent during it, so that what the server can do is told apart from the generator's
    share of the machine."""
    prefix = work / "locust" / label
    generator_before = children_cpu()
    server_before = group_cpu(server.process.pid) if server else 0.0
    started = time.monotonic()
    prefix.parent.mkdir(exist_ok=True)
    env = dict(os.environ, LOAD_PLAN=str(plan_file), LOAD_USER_RATE=str(rate))
    subprocess.run(
        [
            BIN / "locust", "-f", HERE / "locustfile.py", "--headless", "--only-summary",
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--reset-stats", "--stop-timeout", "10", "--host", host, "--csv", prefix,
            "--loglevel", "WARNING", user_class,
        ],
        env=env, check=False, stdout=subprocess.DEVNULL, preexec_fn=pinned(cpus),
    )  # fmt: skip
    wall = time.monotonic() - started
    generator = children_cpu() - generator_before
    served = (group_cpu(server.process.pid) - server_before) if server else 0.0
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["Name"] != "Aggregated"]
    if len(rows) != 1:
        sys.exit(f"locust {label}: expected one request kind, got {rows}")
    row = rows[0]
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
        "wall_s": round(wall, 1),
        "generator_cpu_s": round(generator, 1),
        "server_cpu_s": round(served, 1),
    }


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium", choices=["tiny", "small", "medium", "large"])
    parser.add_argument(
        "--rate", default="50", help="requests per second, or several: 10,25,50 (default 50)"
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds per run (default 60)")
    parser.add_argument("--users", type=int, default=16, help="users in throughput runs")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (default 5)")
    parser.add_argument("--work", type=Path, help="keep the keys, world and plan here")
    parser.add_argument("--note", default="", help="a word for the table's note column")
    parser.add_argument(
        "--pin-generator",
        action="store_true",
        help="run the load generator on the last core only and gunicorn on the others "
        "(PostgreSQL is not pinned)",
    )
    options = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    generator_cpus = server_cpus = None
    if options.pin_generator:
        if len(cores) < 2:
            sys.exit("--pin-generator needs at least 2 cores")
        generator_cpus, server_cpus = {cores[-1]}, set(cores[:-1])

    rates = [int(r) for r in options.rate.split(",")]
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database: run bench/load/run.sh")
    work = options.work or Path(tempfile.gettempdir()) / "mhis-load"
    work.mkdir(parents=True, exist_ok=True)
    env = settings_env(work)
    plan = prepare_world(work, env, options.size)
    plan_file = work / "plan.json"

    results: dict[str, dict] = {}
    app = Server("mhis.wsgi:application", env, options.workers, "/login/", None, server_cpus)
    floor = Server("bare:application", env, options.workers, "/", HERE, server_cpus)
    try:
        log("warming up (every worker opens its connection)")
        for user_class, _name in ENDPOINTS:
            locust(work, plan_file, app.url, user_class, users=options.workers * 2, rate=0,
                   seconds=5, label=f"warmup-{user_class}")  # fmt: skip
        for rate in rates:
            for user_class, name in ENDPOINTS:
                log(f"{name}: {rate} requests/s for {options.duration} s")
                results[f"{name} @ {rate}/s"] = locust(
                    work, plan_file, app.url, user_class, users=rate, rate=1,
                    seconds=options.duration, label=f"rate{rate}-{user_class}",
                    server=app, cpus=generator_cpus,
                )  # fmt: skip
        for user_class, name in [*ENDPOINTS, ("Bare", "bare endpoint")]:
            server = floor if user_class == "Bare" else app
            log(f"{name}: throughput with {options.users} users for {options.duration} s")
            results[f"{name} @ max"] = locust(
                work, plan_file, server.url, user_class, users=options.users, rate=0,
                seconds=options.duration, label=f"max-{user_class}", server=server,
                cpus=generator_cpus,
            )  # fmt: skip
    finally:
        app.stop()
        floor.stop()

    bare_rps = results["bare endpoint @ max"]["rps"]
    context = {
        "date": date.today().isoformat(),
        "commit": commit(),
        "size": options.size,
        "people_in_scope": plan["people_in_scope"],
        "workers": options.workers,
        "rates": rates,
        "duration": options.duration,
        "users": options.users,
        "cores": len(cores),
        "pinned_generator": options.pin_generator,
        "results": results,
    }
    (work / "results.json").write_text(json.dumps(context, indent=2))

    print(
        f"\n{options.size} world, {plan['people_in_scope']:,} people in the clinician's scope; "
        f"gunicorn {options.workers} sync workers; {options.duration} s per run\n"
    )
    print("| date | commit | run | endpoint | requests/s | p50 ms | p99 ms | failures | "
          "share of floor | goal | note |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key, figures in results.items():
        name, kind = key.split(" @ ")
        if kind != "max":
            run_label = kind
            goal_ms = GOAL_P99_MS.get(name)
            goal = (
                f"p99 < {goal_ms} ms: {'met' if figures['p99'] < goal_ms else 'missed'}"
                if goal_ms
                else "—"
            )
            share = "—"
        else:
            run_label = f"max, {options.users} users"
            share_value = figures["rps"] / bare_rps if bare_rps else 0
            share = "floor" if name == "bare endpoint" else f"{share_value:.0%}"
            goal = "—" if name == "bare endpoint" else (
                f"≥ {GOAL_SHARE:.0%}: {'met' if share_value >= GOAL_SHARE else 'missed'}"
            )  # fmt: skip
        print(
            f"| {context['date']} | {context['commit']} | {run_label} | {name} | "
            f"{figures['rps']:.1f} | {figures['p50']:.0f} | {figures['p99']:.0f} | "
            f"{figures['failures']}/{figures['requests']} | {share} | {goal} | {options.note} |"
        )
    print(
        f"\nCPU during each run ({len(cores)} cores"
        + (", the generator pinned to one" if options.pin_generator else "")
        + "): the generator's and the server's CPU seconds, and the server's per request "
        "(what the server can do on a machine of its own, PostgreSQL apart)\n"
    )
    print("| run | endpoint | wall s | generator CPU s | server CPU s | server CPU ms/request |")
    print("|---|---|---|---|---|---|")
    for key, figures in results.items():
        name, kind = key.split(" @ ")
        per = 1000 * figures["server_cpu_s"] / figures["requests"] if figures["requests"] else 0
        print(
            f"| {kind} | {name} | {figures['wall_s']} | {figures['generator_cpu_s']} | "
            f"{figures['server_cpu_s']} | {per:.1f} |"
        )
    failures = sum(f["failures"] for f in results.values())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
