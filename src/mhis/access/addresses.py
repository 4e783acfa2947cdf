"""The address a request comes from, seen through the proxies the operator trusts.

Log-in throttling (django-axes, through `AXES_CLIENT_IP_CALLABLE`) and the SMART Health Link
passcode limit count failures by this address. Behind a reverse proxy every request arrives
from the proxy, so `MHIS_TRUSTED_PROXIES` names the proxies' addresses or networks: a request
from one of them is taken to come from the right-most X-Forwarded-For entry that is not a
trusted proxy. Entries to the left of it were written by the client and are never believed,
so nobody escapes a limit by sending the header themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(
    address: IPv4Address | IPv6Address | None, networks: Iterable[IPv4Network | IPv6Network]
) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the address it forwarded."""
    remote: str = request.META.get("REMOTE_ADDR", "")
    networks: list[IPv4Network | IPv6Network] = settings.MHIS_TRUSTED_PROXIES
    if not _trusted(_address(remote), networks):
        return remote
    hops: list[str] = [
        hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()
    ]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: stop believing the header
            break
        if not _trusted(address, networks):
            return str(address)
    return remote
