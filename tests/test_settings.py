"""Settings refuse to start without secrets outside debug."""

import os
import subprocess
import sys

import pytest


def run_check(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MHIS_") and k != "DJANGO_SETTINGS_MODULE"
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "mhis.cli", "check"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "MHIS_SECRET_KEY"),
        ({"MHIS_SECRET_KEY": "x" * 50}, "MHIS_FIELD_KEYS and MHIS_HASH_KEY"),
        (
            {"MHIS_SECRET_KEY": "mhis-development-only-secret-do-not-use-in-production"},
            "development secret",
        ),
    ],
)
def test_refuses_to_start_without_secrets(tmp_path, env, message):
    result = run_check(MHIS_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_starts_in_debug_without_secrets(tmp_path):
    result = run_check(MHIS_VAR_DIR=str(tmp_path), MHIS_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_keys_command_prints_usable_keys(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mhis.cli", "keys"], capture_output=True, text=True, check=True
    )
    env = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert set(env) == {"MHIS_SECRET_KEY", "MHIS_FIELD_KEYS", "MHIS_HASH_KEY"}
    started = run_check(MHIS_VAR_DIR=str(tmp_path), MHIS_ALLOWED_HOSTS="example.org", **env)
    assert started.returncode == 0, started.stderr
