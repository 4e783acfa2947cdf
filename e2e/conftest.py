"""End-to-end journeys in a real browser (Debian's Chromium, driven by Playwright).

A session builds the small demo world in a temporary folder with production settings (its own
keys, debug off), runs the linkage once so the review queue has pairs, serves it on a free
loopback port and drives Chromium headless against it. Each journey saves screenshots
(`E2E_SCREENSHOTS`, default `var/e2e/screenshots`) and fails on any browser console error.

Every test that uses a `page` (or the `server`) runs twice, at desktop size (1366×768) and at
phone size (390×844), each size against its own copy of the world: the `viewport` fixture is
parametrised for every test that needs it, in any file (`@pytest.mark.viewports("desktop")`
keeps a test to the sizes it names). Each distinct address
a page visits, and each page a screenshot is taken of, is checked with axe-core: a serious or
critical violation fails the test, and at phone size so does a page wider than the screen.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from tests.processes import file_environment, free_port, mhis, serve

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", ROOT / "var" / "e2e" / "screenshots"))
# For working on the journeys: when E2E_WORLD_CACHE names a folder, the first run keeps the
# built world there and later runs start from a copy of it (delete the folder to rebuild).
WORLD_CACHE = os.environ.get("E2E_WORLD_CACHE")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Viewport:
    """A screen size the journeys run at: `options` for `Browser.new_context`."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


VIEWPORTS = {
    "desktop": Viewport("desktop", {"viewport": {"width": 1366, "height": 768}}),
    "phone": Viewport(
        "phone", {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    ),
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "viewports(*names): run the test at these viewports only (desktop, phone)"
    )
    config.addinivalue_line("markers", "journey(name): the journey's name in screenshots")


def pytest_generate_tests(metafunc):
    """Every test that needs a viewport (through `page` or `context`) runs at each size."""
    if "viewport" in metafunc.fixturenames:
        mark = metafunc.definition.get_closest_marker("viewports")
        names = list(mark.args) if mark else list(VIEWPORTS)
        metafunc.parametrize("viewport", names, indirect=True)


@pytest.fixture(scope="session")
def viewport(request) -> Viewport:
    """The screen size (session-wide: the tests run at one size, then at the next, each
    size against a world of its own)."""
    return VIEWPORTS[request.param]


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
def world():
    """The small demo world, built once for the session (or copied from E2E_WORLD_CACHE)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make e2e does)")
    folder = Path(tempfile.mkdtemp(prefix="mhis-e2e-world-"))
    _build_world(_environment(folder, 0), folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server(world, viewport):
    """The app with a copy of the demo world, served on a free loopback port: a copy for each
    screen size, so that what the journeys change at one size does not meet them at the next."""
    var_dir = Path(tempfile.mkdtemp(prefix="mhis-e2e-"))
    shutil.copytree(world, var_dir, dirs_exist_ok=True)
    port = free_port()
    env = _environment(var_dir, port)
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
        """Run Python in the app's context (to look up what a journey starts from, or to run a
        scheduled job as it would run later)."""
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


# -- accessibility ---------------------------------------------------------------------------

AXE = Axe()
FAILING_IMPACTS = ("serious", "critical")
# Pages drawn by another project's code, not ours to change: the API's Swagger UI.
THIRD_PARTY = re.compile(r"^https?://[^/]+/api/docs")
# Whatever a page holds, nothing is wider than the screen (a table becomes cards, a long word
# breaks): the document scrolls only up and down.
WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth > window.innerWidth"


def axe_violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations on the page as it is, one line each."""
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in FAILING_IMPACTS:
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return found


class Accessibility:
    """The pages a session has checked, by viewport and address, and what each check found."""

    def __init__(self):
        self.checked: set[tuple[str, str]] = set()

    def check(self, page: Page, viewport: str, *, again: bool = False) -> list[str]:
        """Check the page as it is (`again`: even if its address was checked before)."""
        key = (viewport, page.url)
        if (key in self.checked and not again) or THIRD_PARTY.search(page.url):
            return []
        self.checked.add(key)
        found = [f"{page.url} [{viewport}] {v}" for v in axe_violations(page)]
        if viewport == "phone" and page.evaluate(WIDER_THAN_THE_SCREEN):
            width = page.evaluate("document.documentElement.scrollWidth")
            found.append(f"{page.url} [{viewport}] scrolls sideways: {width} px wide")
        return found


CHECKED: list[Accessibility] = []


@pytest.fixture(scope="session")
def accessibility():
    CHECKED.append(Accessibility())
    return CHECKED[-1]


def pytest_terminal_summary(terminalreporter):
    for accessibility in CHECKED:
        sizes = sorted({viewport for viewport, _address in accessibility.checked})
        terminalreporter.write_line(
            f"axe-core checked {len(accessibility.checked)} pages ({', '.join(sizes)})"
        )


class Visits:
    """The addresses a test's pages went to, and what the checks found on the way."""

    def __init__(self, origin: str):
        self.origin = origin
        self.addresses: list[str] = []
        self.found: list[str] = []

    def follow(self, page: Page) -> None:
        def navigated(frame):
            url = frame.url
            if (
                frame == page.main_frame
                and url.startswith(self.origin)
                and url not in self.addresses
            ):
                self.addresses.append(url)

        page.on("framenavigated", navigated)


@pytest.fixture
def visits(server):
    return Visits(server.url)


def _pages_checked(context: BrowserContext, visits: Visits, accessibility, viewport) -> list[str]:
    """Check each address visited not yet checked, in a fresh page of the same session."""
    found = list(visits.found)
    todo = [a for a in visits.addresses if (viewport.name, a) not in accessibility.checked]
    if not todo:
        return found
    page = context.new_page()
    try:
        for address in todo:
            try:
                page.goto(address)
            except PlaywrightError as error:
                # An address that answers with a download, or one that only takes a form
                # sent (its page, if any, was checked when its screenshot was taken).
                if "Download is starting" in str(error) or "ERR_HTTP_RESPONSE_CODE" in str(error):
                    continue
                raise
            found += accessibility.check(page, viewport.name)
    finally:
        page.close()
    return found


def _page(context: BrowserContext, console: Console, visits: Visits) -> Page:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            message.type == "error" and console.errors.append(f"{message.text} ({page.url})")
        ),
    )
    page.on("pageerror", lambda error: console.errors.append(f"{error} ({page.url})"))
    visits.follow(page)
    return page


@pytest.fixture
def context(browser, server, viewport):
    context = browser.new_context(
        base_url=server.url, locale="en-GB", accept_downloads=True, **viewport.options
    )
    yield context
    context.close()


@pytest.fixture
def new_context(browser, server, viewport, console, visits, accessibility):
    """Another user's browser at the same size (a second person in a journey): its pages are
    followed and checked as the `page`'s are."""
    opened: list[BrowserContext] = []

    def open_context(**options) -> BrowserContext:
        context = browser.new_context(
            base_url=server.url, locale="en-GB", **{**viewport.options, **options}
        )
        context.on("page", lambda page: visits.follow(page))
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        try:
            visits.found += _pages_checked(context, visits, accessibility, viewport)
        finally:
            context.close()


@pytest.fixture
def page(context, console, visits, accessibility, viewport, request) -> Page:
    page = _page(context, console, visits)
    yield page
    found = _pages_checked(context, visits, accessibility, viewport)
    unexpected = console.unexpected()
    problems = []
    if unexpected:
        problems.append("browser console errors:\n" + "\n".join(unexpected))
    if found:
        problems.append(
            "accessibility (axe-core, serious or critical; pages wider than the screen):\n"
            + "\n".join(found)
        )
    if problems:
        pytest.fail("\n".join(problems))


def open_menu(page: Page) -> None:
    """Open the menu where the screen is too narrow to show it (a phone)."""
    summary = page.locator("header details.menu > summary")
    if summary.is_visible() and page.locator("header details.menu[open]").count() == 0:
        summary.click()


def go(page: Page, name: str, **options) -> None:
    """Follow the main navigation's link `name`, opening the menu first on a phone."""
    open_menu(page)
    page.locator("header nav").get_by_role("link", name=name, **options).click()


@pytest.fixture
def shot(request, viewport, accessibility, visits):
    """Save a screenshot as <journey>-<n>-<name>-<viewport>.png, the journey named by the
    test's `journey` mark; `whole=False` keeps to the window for long pages. The page is
    checked for accessibility as it is shown."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mark = request.node.get_closest_marker("journey")
    journey = mark.args[0] if mark else request.node.name.split("[")[0].removeprefix("test_")
    count = 0

    def take(page: Page, name: str, whole: bool = True) -> Path:
        nonlocal count
        count += 1
        path = SCREENSHOTS / f"{journey}-{count}-{name}-{viewport.name}.png"
        # caret="initial": hiding the caret writes a style on each field, which htmx's settling
        # then copies as an inline style the content security policy refuses.
        page.screenshot(path=path, full_page=whole, caret="initial")
        visits.found += accessibility.check(page, viewport.name, again=True)
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
