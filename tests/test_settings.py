"""Settings refuse to start without secrets outside debug."""

import pytest

from .processes import environment, mhis, production_keys


def run_check(**env):
    return mhis("check", env=environment(**env))


def test_refuses_to_start_with_an_unknown_role_for_the_second_factor(tmp_path):
    result = run_check(MHIS_VAR_DIR=str(tmp_path), MHIS_DEBUG="1", MHIS_TWO_FACTOR_ROLES="nurse")
    assert result.returncode != 0
    assert "MHIS_TWO_FACTOR_ROLES: unknown role(s) nurse" in result.stderr


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
    env = production_keys()
    assert set(env) == {"MHIS_SECRET_KEY", "MHIS_FIELD_KEYS", "MHIS_HASH_KEY"}
    started = run_check(MHIS_VAR_DIR=str(tmp_path), MHIS_ALLOWED_HOSTS="example.org", **env)
    assert started.returncode == 0, started.stderr


def test_pages_carry_a_content_security_policy_that_allows_no_inline_script(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_template_has_an_inline_script_or_event_handler():
    import re
    from pathlib import Path

    import mhis

    found = []
    for path in Path(mhis.__file__).parent.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{path.name}: {tag}")
        found += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        found += [f"{path.name}: javascript:" for _ in re.findall(r"javascript:", text)]
    assert found == []


def test_hsts_is_sent_over_https_and_only_there(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert "Strict-Transport-Security" not in client.get("/login/")
    assert client.get("/login/", secure=True)["Strict-Transport-Security"].startswith(
        "max-age=31536000"
    )


def test_outside_debug_cookies_are_secure_hsts_is_on_and_sessions_expire(tmp_path):
    env = environment(**production_keys(), MHIS_VAR_DIR=str(tmp_path),
                      MHIS_ALLOWED_HOSTS="example.org")  # fmt: skip
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, "
        "s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )
    shown = mhis("shell", "-v", "0", "-c", code, env=env)
    assert shown.stdout.split() == ["True", "True", "31536000", "28800", "True", "False"]


def test_the_suite_bounds_every_query_on_postgresql(db, vendor):
    from django.db import connection

    if vendor != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting; this run is on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "2min"
