"""Pages load their assets from MHIS itself: nothing from a CDN, nothing missing."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_every_asset_a_page_links_is_served_locally(client, people):
    client.force_login(people["clinician"])
    page = client.get("/people/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith(".css") for a in assets) and any("htmx" in a for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
