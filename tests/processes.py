"""`mhis` commands run as processes of their own, with this process's environment minus its
MHIS and Django settings (so the test settings do not leak into them)."""

import os
import subprocess
import sys


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MHIS_", "DJANGO_"))}
    env.update(settings)
    return env


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
