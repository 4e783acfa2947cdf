"""Every page a journey passes through: light enough for a slow link, readable without
JavaScript, with every form field labelled and the navigation reachable by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_journeys import _person

LIMIT = 200_000  # bytes of HTML, styles and scripts, images aside

PAGES = {
    "clinician": ["/people/", "/people/?q=Maung", "/people/{uuid}/", "/care/people/{uuid}/timeline/",
                  "/record/{uuid}/links/", "/care/assessments/pending/", "/care/referrals/overdue/",
                  "/surveillance/report/", "/surveillance/alerts/", "/imports/", "/outreach/"],
    "analyst": ["/indicators/", "/indicators/ENCOUNTERS/?by=sex", "/programmes/"],
    "admin": ["/linkage/"],
    "manager": ["/programmes/", "/programmes/projects/TH-MHP/", "/programmes/practices/"],
}  # fmt: skip


def _addresses(server):
    uuid = _person(server)[0]
    return [(user, path.format(uuid=uuid)) for user, paths in PAGES.items() for path in paths]


@pytest.fixture(scope="module")
def addresses(server):
    return _addresses(server)


def test_pages_weigh_under_200_kb_without_images(page, login, addresses):
    weights = {}
    for user, path in addresses:
        login(page, user)
        sizes = []

        def count(response, sizes=sizes):
            if response.request.resource_type != "image":
                sizes.append(len(response.body()))

        page.on("response", count)
        page.goto(path, wait_until="networkidle")
        page.remove_listener("response", count)
        weights[path] = sum(sizes)
    heavy = {path: size for path, size in weights.items() if size >= LIMIT}
    assert not heavy, f"pages over {LIMIT:,} bytes: {heavy}"


def test_pages_read_without_javascript(browser, server, login, addresses):
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        for user, path in addresses:
            login(page, user)
            response = page.goto(path)
            assert response.status == 200, path
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert page.locator("main").inner_text().strip(), path
    finally:
        context.close()


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
          && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""


def test_every_form_field_has_a_label(page, login, addresses):
    missing = {}
    for user, path in addresses:
        login(page, user)
        page.goto(path)
        unlabelled = page.evaluate(UNLABELLED)
        if unlabelled:
            missing[path] = unlabelled
    assert not missing, f"fields without a label: {missing}"


def test_the_navigation_and_search_are_reached_with_the_keyboard(page, login):
    login(page, "clinician")
    page.goto("/people/")
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "document.activeElement.textContent.trim() || document.activeElement.name"
            )
        )
        if reached[-1] == "q":
            break
    assert "People" in reached and "Indicators" in reached and reached[-1] == "q"
    page.keyboard.type("Maung")
    page.keyboard.press("Enter")
    expect(page.get_by_role("table")).to_be_visible()
