"""Every page a journey passes through: light enough for a slow link, readable without
JavaScript, with every form field labelled, the navigation reachable by keyboard, and no page
wider than a small phone's screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations
from .test_journeys import _person

LIMIT = 200_000  # bytes of HTML, styles and scripts, images aside

PAGES = {
    "clinician": ["/people/", "/people/?q=Maung", "/people/{uuid}/", "/care/people/{uuid}/timeline/",
                  "/record/{uuid}/links/", "/care/assessments/pending/", "/care/referrals/overdue/",
                  "/surveillance/report/", "/surveillance/alerts/", "/imports/", "/outreach/"],
    "analyst": ["/indicators/", "/indicators/ENCOUNTERS/?by=sex", "/programmes/"],
    "admin": ["/linkage/"],
    "surveillance": ["/surveillance/outbreaks/", "/surveillance/outbreaks/1/",
                     "/surveillance/signals/"],
    "volunteer": ["/surveillance/signals/new/"],
    "manager": ["/programmes/", "/programmes/projects/TH-MHP/", "/programmes/practices/"],
}  # fmt: skip


def _addresses(server):
    uuid = _person(server)[0]
    return [(user, path.format(uuid=uuid)) for user, paths in PAGES.items() for path in paths]


@pytest.fixture(scope="module")
def addresses(server):
    return _addresses(server)


@pytest.mark.viewports("desktop")
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


@pytest.mark.viewports("desktop")
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


def _found_on_each_page(page, login, addresses, script: str) -> dict[str, list]:
    """What `script` finds on each page, for the pages where it finds something."""
    found = {}
    for user, path in addresses:
        login(page, user)
        page.goto(path)
        if result := page.evaluate(script):
            found[path] = result
    return found


@pytest.mark.viewports("desktop")
def test_every_form_field_has_a_label(page, login, addresses):
    missing = _found_on_each_page(page, login, addresses, UNLABELLED)
    assert not missing, f"fields without a label: {missing}"


FOCUSED = "document.activeElement.textContent.trim() || document.activeElement.name"


def test_the_navigation_and_search_are_reached_with_the_keyboard(page, login, viewport):
    """The skip link comes first; on a phone the menu opens with Enter."""
    login(page, "clinician")
    page.goto("/people/")
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))
        if reached[-1] == "Menu":
            page.keyboard.press("Enter")
        if reached[-1] == "q":
            break
    assert reached[0] == "Skip to main content"
    assert "People" in reached and "Indicators" in reached and reached[-1] == "q"
    assert ("Menu" in reached) == (viewport.name == "phone")
    page.keyboard.type("Maung")
    page.keyboard.press("Enter")
    expect(page.get_by_role("table")).to_be_visible()


# WCAG 2.x contrast of each piece of text against the background behind it: at least 4.5:1,
# or 3:1 for large text (24 px, or 18.66 px bold).
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('main *, header *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) low.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.mark.viewports("desktop")
def test_text_contrast_is_adequate(page, login, addresses):
    low = _found_on_each_page(page, login, addresses, LOW_CONTRAST)
    shown = {path: items[:5] for path, items in low.items()}
    assert not low, f"text below the WCAG AA contrast ratio: {shown}"


@pytest.mark.viewports("desktop")
def test_the_contrast_check_finds_faint_text(page):
    page.set_content(
        "<main><p style='color:#aaa'>faint</p><p>dark</p>"
        "<p style='background:#1d5c8f;color:#fff'>white on blue</p></main>"
    )
    assert [item.split('"')[1] for item in page.evaluate(LOW_CONTRAST)] == ["faint"]


@pytest.mark.viewports("desktop")
def test_the_api_docs_work_under_the_content_security_policy(page, login):
    """Swagger UI is served from the installed package, its settings as JSON data: nothing in
    it needs an inline script, so the policy blocks nothing (a block is a console error)."""
    login(page, "admin")
    response = page.goto("/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_text("/api/persons").first).to_be_visible()


def test_the_skip_link_moves_to_the_main_content(page, login):
    login(page, "clinician")
    page.goto("/people/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_phone_header_is_small_and_its_menu_opens(page, login, viewport):
    """At 390×844 the header takes at most a tenth of the screen; "Menu" shows the links."""
    login(page, "clinician")
    page.goto("/people/")
    navigation = page.get_by_role("link", name="Pending assessments")
    if viewport.name == "desktop":
        expect(navigation).to_be_visible()
        return
    assert page.locator("header").bounding_box()["height"] <= 844 / 10
    expect(page.get_by_role("link", name="Register a person")).to_be_in_viewport(ratio=1)
    expect(navigation).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(navigation).to_be_visible()


SMALLEST = {"width": 360, "height": 740}
WIDER = "document.documentElement.scrollWidth > 360"


@pytest.mark.viewports("desktop")
def test_no_page_scrolls_sideways_on_a_360_px_screen(browser, server, login, addresses):
    context = browser.new_context(base_url=server.url, viewport=SMALLEST)
    try:
        page = context.new_page()
        wide = {}
        for user, path in addresses:
            login(page, user)
            page.goto(path)
            if page.evaluate(WIDER):
                wide[path] = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert not wide, f"pages wider than 360 px: {wide}"


def test_the_width_check_finds_a_wide_page(browser):
    context = browser.new_context(viewport=SMALLEST)
    try:
        page = context.new_page()
        page.set_content("<div style='width:500px'>wide</div>")
        assert page.evaluate(WIDER)
        page.set_content("<table><thead><tr><th>A</th></tr></thead></table><p>narrow</p>")
        assert not page.evaluate(WIDER)
    finally:
        context.close()


def test_the_accessibility_check_finds_a_field_without_a_label(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<html lang='en'><title>t</title><main><input></main></html>")
        assert any("label" in line for line in axe_violations(page))
        page.set_content(
            "<html lang='en'><title>t</title><main><label>Name <input></label></main></html>"
        )
        assert axe_violations(page) == []
    finally:
        context.close()
