"""`mhis` commands run as processes of their own, with this process's environment minus its
MHIS and Django settings (so the test settings do not leak into them)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MHIS_", "DJANGO_"))}
    env.update(settings)
    return env


def file_environment(var_dir, **settings: str) -> dict[str, str]:
    """Production settings (debug off, fixed test keys) on a SQLite file in `var_dir`."""
    return environment(
        DATABASE_URL="",
        MHIS_VAR_DIR=str(var_dir),
        MHIS_SECRET_KEY="process-test-secret-key-not-for-production-0123456789",
        MHIS_FIELD_KEYS="q0Y2J8c7t3Wk2oQ7w2o8bF3w5q2m8Wc3ZlYwq1u7oQ8=",
        MHIS_HASH_KEY="process-test-hash-key-not-for-production",
        MHIS_ALLOWED_HOSTS="127.0.0.1",
        **settings,
    )


def mhis(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "mhis.cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def production_keys() -> dict[str, str]:
    """A fresh secret, field key and hash key, from `mhis keys`."""
    printed = subprocess.run(
        [sys.executable, "-m", "mhis.cli", "keys"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines())


def free_port() -> int:
    """A TCP port free on the loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """`mhis runserver` on 127.0.0.1:`port` in a process of its own, its output added to `log`,
    returned once it answers; the test fails with the log if it stops or takes over 60 s."""
    with log.open("a") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "mhis.cli", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the server did not start:\n" + log.read_text())
            time.sleep(0.2)


def work(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """`mhis worker` in a process of its own (polling the queue every 0.1 s), its output
    added to `log`."""
    with log.open("a") as out:
        return subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "mhis.cli", "worker", "--interval", "0.1", *args],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
