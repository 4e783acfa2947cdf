"""End-to-end journeys in a real browser (Debian's Chromium, driven by Playwright).

A session builds the small demo world in a temporary folder with production settings (its own
keys, debug off), runs the linkage once so the review queue has pairs, serves it on a free
loopback port and drives Chromium headless against it. Each journey saves screenshots
(`E2E_SCREENSHOTS`, default `var/e2e/screenshots`) and fails on any browser console error.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from tests.processes import file_environment, free_port, mhis, serve

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", ROOT / "var" / "e2e" / "screenshots"))
# For working on the journeys: when E2E_WORLD_CACHE names a folder, the first run keeps the
# built world there and later runs start from a copy of it (delete the folder to rebuild).
WORLD_CACHE = os.environ.get("E2E_WORLD_CACHE")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _environment(var_dir: Path, port: int) -> dict[str, str]:
    return file_environment(
        var_dir,
        MHIS_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # Served over plain HTTP on loopback, so the cookies cannot be marked secure.
        MHIS_SECURE_COOKIES="0",
        MHIS_LOGIN_FAILURE_LIMIT="50",
        # Journeys log in with a password; the second factor asked of administrators and
        # analysts in production is exercised in tests/test_two_factor.py.
        MHIS_TWO_FACTOR_ROLES="",
    )


def _run(env, *args):
    result = mhis(*args, env=env, timeout=900)
    if result.returncode:
        pytest.fail(f"mhis {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _build_world(env, var_dir: Path):
    cache = Path(WORLD_CACHE) if WORLD_CACHE else None
    if cache and (cache / "mhis.sqlite3").exists():
        shutil.copytree(cache, var_dir, dirs_exist_ok=True)
        _run(env, "migrate", "--no-input", "-v0")
        return
    _run(env, "migrate", "--no-input", "-v0")
    _run(env, "demo", "--size", "small")
    _run(env, "link", "-v0")
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy2(var_dir / "mhis.sqlite3", cache / "mhis.sqlite3")
        shutil.copytree(var_dir / "demo", cache / "demo", dirs_exist_ok=True)


@pytest.fixture(scope="session")
def server():
    """The app with the small demo world, served on a free loopback port."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make e2e does)")
    var_dir = Path(tempfile.mkdtemp(prefix="mhis-e2e-"))
    port = free_port()
    env = _environment(var_dir, port)
    _build_world(env, var_dir)
    process = serve(env, port, var_dir / "server.log")
    url = f"http://127.0.0.1:{port}"
    logins = dict(
        line.split("\t", 1)
        for line in (var_dir / "demo" / "logins.txt").read_text().splitlines()
        if "\t" in line
    )
    yield Server(url=url, env=env, logins=logins, var_dir=var_dir)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(var_dir, ignore_errors=True)


class Server:
    def __init__(self, *, url, env, logins, var_dir):
        self.url, self.env, self.logins, self.var_dir = url, env, logins, var_dir

    def shell(self, code: str) -> str:
        """Run Python in the app's context (to look up what a journey starts from)."""
        return _run(self.env, "shell", "-c", code).strip()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


class Console:
    """Console errors and uncaught exceptions of a page; a journey fails on any not expected."""

    def __init__(self):
        self.errors: list[str] = []
        self.expected: list[re.Pattern] = []

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def context(browser, server):
    context = browser.new_context(
        base_url=server.url,
        locale="en-GB",
        accept_downloads=True,
        viewport={"width": 1200, "height": 900},
    )
    yield context
    context.close()


@pytest.fixture
def page(context, console, request) -> Page:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            message.type == "error" and console.errors.append(f"{message.text} ({page.url})")
        ),
    )
    page.on("pageerror", lambda error: console.errors.append(f"{error} ({page.url})"))
    yield page
    unexpected = console.unexpected()
    if unexpected:
        pytest.fail("browser console errors:\n" + "\n".join(unexpected))


@pytest.fixture
def shot(request):
    """Save a screenshot as <journey>-<n>-<name>.png, the journey named by the test's
    `journey` mark; `whole=False` keeps to the window for long pages."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mark = request.node.get_closest_marker("journey")
    journey = mark.args[0] if mark else request.node.name.removeprefix("test_")
    count = 0

    def take(page: Page, name: str, whole: bool = True) -> Path:
        nonlocal count
        count += 1
        path = SCREENSHOTS / f"{journey}-{count}-{name}.png"
        page.screenshot(path=path, full_page=whole)
        return path

    return take


@pytest.fixture
def login(server):
    def log_in(page: Page, username: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(server.logins[username])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"^(?!.*/login/)"))

    return log_in
