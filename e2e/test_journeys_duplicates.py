"""Registration that prevents duplicates: registering someone already in the registry, under
another spelling of her name, shows the possible match before anything is saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go


def _register(page, latin: str, birth: str):
    go(page, "People")
    page.get_by_role("link", name="Register a person").click()
    page.get_by_label("Name as written").fill(latin)
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label(re.compile(r"^Date of birth")).fill(birth)
    page.get_by_role("button", name="Save", exact=True).click()


@pytest.mark.journey("duplicate")
def test_registering_someone_already_registered_shows_the_possible_match_first(page, login, shot):
    login(page, "clinician")
    _register(page, "Khin Thida Myint", "14/03/1987")
    notice = page.get_by_role("alert").filter(has_text="Is this someone already registered?")
    if notice.count():  # a namesake in the demo world: she is someone else
        page.get_by_role("button", name="This is a different person: register anyway").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Khin Thida Myint")
    first = page.url

    # The same woman comes back to another desk; her name is written another way.
    _register(page, "Khin Thidar Myint", "14/03/1987")
    notice = page.get_by_role("alert").filter(has_text="Is this someone already registered?")
    expect(notice).to_be_visible()
    match = notice.get_by_role("link", name=re.compile("Khin Thida Myint"))
    expect(match).to_be_visible()
    shot(page, "possible-match")
    # Nothing was saved: the form is still there with what was typed.
    expect(page.get_by_label("Name as written")).to_have_value("Khin Thidar Myint")
    # The match leads to the record registered first.
    assert match.get_attribute("href") in first
