"""Sending a dataValueSet to a DHIS2 instance's Web API (``POST /api/dataValueSets``).

A dry run first (``dryRun=true``: DHIS2 checks every value and says what it would do), then
the real import only when asked. The id schemes go both in the payload and as import
parameters. The answer is DHIS2's import summary — status, counts and each conflict with its
message — whatever the HTTP status (DHIS2 answers 409 when a value is refused). The address
and account come from the environment (MHIS_DHIS2_*), never from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class PushError(Exception):
    """The server could not be reached, refused the account, or did not answer as DHIS2."""


@dataclass
class Conflict:
    object: str
    value: str
    error_code: str = ""
    indexes: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        code = f"{self.error_code} " if self.error_code else ""
        return f"{code}{self.object}: {self.value}"


@dataclass
class Summary:
    """A DHIS2 import summary, as the command and page show it."""

    status: str  # SUCCESS | WARNING | ERROR
    dry_run: bool
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    description: str = ""
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.status == "SUCCESS" and not self.conflicts

    def lines(self, most: int = 100) -> list[str]:
        head = _("Dry run") if self.dry_run else _("Import")
        out = [
            _(
                "%(head)s: %(status)s — %(imported)s imported, %(updated)s updated, "
                "%(ignored)s ignored, %(deleted)s deleted."
            )
            % {
                "head": head,
                "status": self.status,
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            }
        ]
        if self.description and self.status != "SUCCESS":
            out.append(self.description)
        out += [str(c) for c in self.conflicts[:most]]
        if len(self.conflicts) > most:
            out.append(_("… and %(n)s more conflicts.") % {"n": len(self.conflicts) - most})
        return out


@dataclass
class Server:
    url: str
    token: str = ""
    username: str = ""
    password: str = ""
    timeout: int = 60

    @classmethod
    def from_settings(cls) -> Server:
        return cls(
            settings.MHIS_DHIS2_URL,
            settings.MHIS_DHIS2_TOKEN,
            settings.MHIS_DHIS2_USERNAME,
            settings.MHIS_DHIS2_PASSWORD,
            settings.MHIS_DHIS2_TIMEOUT,
        )

    @property
    def shown(self) -> str:
        """The address as it may be shown: scheme, host, port and path, never an account
        (user:password@) or a query that could hold one."""
        if not self.url:
            return ""
        try:
            parts = urlsplit(self.url)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return "…"
        if ":" in host:
            host = f"[{host}]"
        return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else "…"

    def check(self) -> None:
        if not self.url:
            raise PushError(
                _("No DHIS2 server is set: set MHIS_DHIS2_URL (the instance's address).")
            )
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PushError(
                _("MHIS_DHIS2_URL %(url)r is not an http(s) address.") % {"url": self.shown}
            )
        if "@" in parts.netloc or parts.query or parts.fragment:
            raise PushError(
                _(
                    "MHIS_DHIS2_URL holds an account or a query (user:password@, ?…): give the "
                    "instance's address only, and the account in MHIS_DHIS2_TOKEN or "
                    "MHIS_DHIS2_USERNAME and MHIS_DHIS2_PASSWORD."
                )
            )
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise PushError(
                _("MHIS_DHIS2_URL must use https: the account would travel in clear to %(host)s.")
                % {"host": parts.hostname}
            )
        if not self.token and not (self.username and self.password):
            raise PushError(
                _(
                    "No DHIS2 account is set: set MHIS_DHIS2_TOKEN (a personal access token), "
                    "or MHIS_DHIS2_USERNAME and MHIS_DHIS2_PASSWORD."
                )
            )

    def _auth(self) -> dict:
        if self.token:
            return {"headers": {"Authorization": f"ApiToken {self.token}"}}
        return {"auth": (self.username, self.password)}


def parameters(document: dict, *, dry_run: bool) -> dict[str, str]:
    """The import parameters: dry run or not, and the payload's id schemes (lower case),
    with the attribute option combo's."""
    params = {"dryRun": "true" if dry_run else "false", "importStrategy": "CREATE_AND_UPDATE"}
    for key in (
        "idScheme",
        "dataElementIdScheme",
        "orgUnitIdScheme",
        "categoryOptionComboIdScheme",
        "dataSetIdScheme",
    ):
        if key in document:
            params[key] = str(document[key]).lower()
    # DHIS2 reads the attribute option combo in its own scheme, a parameter only (a
    # dataValueSet has no field for it), else idScheme: the mapping writes it as a combo.
    if document.get("attributeOptionCombo") and "categoryOptionComboIdScheme" in document:
        params["attributeOptionComboIdScheme"] = params["categoryOptionComboIdScheme"]
    return params


def push(document: dict, *, dry_run: bool = True, server: Server | None = None) -> Summary:
    """POST `document` to the server's dataValueSets; its import summary, or PushError."""
    server = server or Server.from_settings()
    server.check()
    url = f"{server.url.rstrip('/')}/api/dataValueSets"
    body = json.dumps(document, ensure_ascii=False).encode()
    try:
        response = requests.post(
            url,
            params=parameters(document, dry_run=dry_run),
            data=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                **server._auth().get("headers", {}),
            },
            auth=server._auth().get("auth"),
            timeout=server.timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise PushError(
            _("The DHIS2 server at %(url)s did not answer within %(n)s seconds.")
            % {"url": server.shown, "n": server.timeout}
        ) from None
    except requests.RequestException as exc:
        raise PushError(
            _("Cannot reach the DHIS2 server at %(url)s: %(reason)s")
            % {"url": server.shown, "reason": type(exc).__name__}
        ) from None
    return read_summary(response.status_code, response.text, dry_run=dry_run, url=server.shown)


def read_summary(status: int, text: str, *, dry_run: bool, url: str = "") -> Summary:
    """The import summary in an answer (DHIS2 2.36+ wraps it in a web message's `response`;
    older versions answer the summary itself); PushError for anything else."""
    if status == 401:
        raise PushError(
            _(
                "DHIS2 refused the account (401): check MHIS_DHIS2_TOKEN or the username and password."
            )
        )
    if status == 403:
        raise PushError(_("The DHIS2 account may not import data values (403)."))
    if status in (301, 302, 303, 307, 308):
        raise PushError(
            _(
                "DHIS2 answered with a redirect (%(status)s), often to its login page: check "
                "MHIS_DHIS2_URL (the instance's address, without /api) and the account."
            )
            % {"status": status}
        )
    if status == 404:
        raise PushError(
            _("No DHIS2 Web API at %(url)s (404): check MHIS_DHIS2_URL.") % {"url": url}
        )
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    summary = answer.get("response", answer) if isinstance(answer, dict) else None
    if not isinstance(summary, dict) or ("importCount" not in summary and "status" not in summary):
        raise PushError(
            _("The server answered %(status)s without a DHIS2 import summary: %(text)s")
            % {"status": status, "text": (text or "")[:200]}
        )
    if status >= 500 or (status >= 400 and status != 409 and "importCount" not in summary):
        message = answer.get("message") if isinstance(answer, dict) else ""
        raise PushError(
            _("DHIS2 refused the request (%(status)s): %(message)s")
            % {"status": status, "message": message or (text or "")[:200]}
        )
    count = summary.get("importCount") or {}
    conflicts = [
        Conflict(
            str(c.get("object", "")),
            str(c.get("value", "")),
            str(c.get("errorCode", "")),
            [int(i) for i in c.get("indexes", []) if isinstance(i, int)],
        )
        for c in summary.get("conflicts") or []
        if isinstance(c, dict)
    ]
    return Summary(
        str(summary.get("status") or answer.get("status") or ""),
        dry_run,
        int(count.get("imported", 0)),
        int(count.get("updated", 0)),
        int(count.get("ignored", 0)),
        int(count.get("deleted", 0)),
        str(summary.get("description") or answer.get("message") or ""),
        conflicts,
    )
