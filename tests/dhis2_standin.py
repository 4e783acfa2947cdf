"""A stand-in DHIS2 instance for tests: `/api/dataValueSets` on loopback only, answering as
DHIS2's documented Web API does (developer/web-api/data.md, and the import's error codes).

It reads a metadata file in the shape of GET /api/metadata (tests/fixtures/real/dhis2/), and
for each POST:

- authenticates (Basic or ``ApiToken``; 401 otherwise) and wants ``application/json`` (415);
- reads the id schemes: the payload's over the query's, a specific one over ``idScheme``,
  ``uid`` by default; looks every identifier up by that property;
- checks the data set (E7600), the attribute option combo (E7604), and per value: the data
  element (E7610), its attribute option combo (E7615), the period (E7611), the org unit (E7612), the category option combo (E7613,
  the default one when left out), that combo in the data element's category combo (E7634),
  the data element in the data set (E7633), the org unit assigned to the data set (E7636),
  a value or a comment (E7618), the value against the value type (E7619);
- ignores a zero of a data element whose zeros are not significant, as DHIS2 does;
- answers an import summary (status, importCount, conflicts with errorCode and indexes) in a
  web message, 200 when clean, 409 with conflicts; stores nothing on ``dryRun=true``.

GET /api/dataValueSets(.json) reads back what was stored, with identifiers in the scheme asked.

ADX (data.md, "ADX data format"; the importer and writer of dhis2-core's ``dxf2/adx``): a POST
with ``Content-Type: application/adx+xml`` is read with the same query parameters as JSON
(``uid`` by default: DHIS2's own example posts ADX with ``dataElementIdScheme=code&
orgUnitIdScheme=code``). Each group needs ``orgUnit`` and ``period`` (an ISO 8601 start and
duration, ``2026-01-01/P3M``) and names its ``dataSet``; a missing attribute, a period that is
not one DHIS2 has, or an unknown data set stops the whole import (status ERROR, nothing
stored). Each ``dataValue`` needs ``dataElement`` and ``value``; unless it names a
``categoryOptionCombo``, each category of its data element's category combo is an attribute
named by the category's code whose value is an option's code (by the category option combo
scheme), resolved to the combo holding those options; a missing or unknown one is a conflict
for that value, the others go on. The values then go through the JSON import's checks.
The stand-in is stricter than DHIS2 2.28's ``AdxPeriod`` in one way: a period whose start is
not the first day of a period of its duration (``2026-02-01/P3M``) is refused, where DHIS2
takes the period holding that day.

GET with ``Accept: application/adx+xml`` (dataSet, period, orgUnit: UIDs or codes) answers as
DHIS2's ADX writer does: a group per org unit and period (dataSet, period, orgUnit by code),
each value with its data element's code, its categories exploded as category code = option
code, and its value. Unlike DHIS2 2.28's writer, the root carries ``exported`` and a group
without values is left out, so that what the stand-in writes is valid against the ADX schema
(adx_loose.xsd wants both); a value stored with a comment only has nothing ADX can carry and is
left out.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

METADATA = Path(__file__).parent / "fixtures" / "real" / "dhis2" / "instance_metadata.json"
DEFAULT_COC = "HllvX50cXC0"
ADX_NS = "urn:ihe:qrph:adx:2015"
ADX_TYPE = "application/adx+xml"
ADX_PERIOD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(1Y|3M|1M|7D)$")
# An XML attribute name (DHIS2 checks category codes with Xerces' XMLChar.isValidName).
XML_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:.\-]*$")
PERIOD = re.compile(r"^(\d{4})(?:(0[1-9]|1[0-2])|Q([1-4])|W([1-9]|[1-4]\d|5[0-3])|)$")
SCHEME_KEYS = {
    "dataElement": "dataElementIdScheme",
    "orgUnit": "orgUnitIdScheme",
    "categoryOptionCombo": "categoryOptionComboIdScheme",
    "dataSet": "dataSetIdScheme",
}
NUMERIC = {
    "INTEGER_ZERO_OR_POSITIVE": re.compile(r"^(0|[1-9]\d*)$"),
    "INTEGER": re.compile(r"^-?(0|[1-9]\d*)$"),
    "NUMBER": re.compile(r"^-?\d+(\.\d+)?$"),
    "PERCENTAGE": re.compile(r"^\d+(\.\d+)?$"),
}


class Instance:
    """The metadata and the stored data values of one stand-in instance."""

    def __init__(self, metadata: Path = METADATA):
        meta = json.loads(metadata.read_text(encoding="utf-8"))
        self.meta = meta
        self.by_kind = {
            "dataElement": meta["dataElements"],
            "orgUnit": meta["organisationUnits"],
            "categoryOptionCombo": meta["categoryOptionCombos"],
            "dataSet": meta["dataSets"],
        }
        self.uids = {kind: {o["id"]: o for o in objs} for kind, objs in self.by_kind.items()}
        self.users = meta["users"]
        self.values: dict[tuple, dict] = {}
        self.requests: list[dict] = []  # every payload received, for tests to look at

    def find(self, kind: str, identifier: str, scheme: str):
        prop = {"uid": "id", "code": "code", "name": "name"}.get(scheme.lower())
        if prop is None:
            return None
        return next((o for o in self.by_kind[kind] if o.get(prop) == identifier), None)

    def ident(self, obj: dict, scheme: str) -> str:
        return obj.get({"uid": "id", "code": "code", "name": "name"}[scheme.lower()], obj["id"])

    def combo_of(self, element: dict) -> str:
        return element["categoryCombo"]["id"]

    # -- import ----------------------------------------------------------------------------

    def schemes(self, document: dict, query: dict) -> dict[str, str]:
        general = document.get("idScheme") or query.get("idScheme") or "uid"
        return {
            kind: document.get(key) or query.get(key) or general
            for kind, key in SCHEME_KEYS.items()
        }

    def import_(self, document: dict, query: dict) -> tuple[int, dict]:
        self.requests.append(document)
        dry = query.get("dryRun", "false").lower() == "true"
        schemes = self.schemes(document, query)
        conflicts: list[dict] = []
        count = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
        values = document.get("dataValues") or []

        def conflict(obj, prop, code, message, index=None):
            for c in conflicts:
                if c["errorCode"] == code and c["object"] == obj:
                    if index is not None:
                        c["indexes"].append(index)
                    return
            conflicts.append({"object": obj, "objects": {prop: obj}, "value": message,
                              "errorCode": code, "property": prop,
                              "indexes": [] if index is None else [index]})  # fmt: skip

        data_set = None
        if document.get("dataSet"):
            data_set = self.find("dataSet", document["dataSet"], schemes["dataSet"])
            if data_set is None:
                conflict(document["dataSet"], "dataSet", "E7600",
                         f"Data set not found or not accessible: `{document['dataSet']}`")  # fmt: skip
                count["ignored"] = len(values)
                return 409, self.summary("ERROR", count, conflicts, dry)
        aoc = DEFAULT_COC
        if document.get("attributeOptionCombo"):
            found = self.find("categoryOptionCombo", document["attributeOptionCombo"],
                              schemes["categoryOptionCombo"])  # fmt: skip
            if found is None:
                conflict(document["attributeOptionCombo"], "attributeOptionCombo", "E7604",
                         "Attribute option combo not found or not accessible: "
                         f"`{document['attributeOptionCombo']}`")  # fmt: skip
                count["ignored"] = len(values)
                return 409, self.summary("ERROR", count, conflicts, dry)
            aoc = found["id"]
        for index, dv in enumerate(values):
            problem = self.check(dv, document, schemes, data_set, index, conflict)
            if problem is None:
                count["ignored"] += 1
                continue
            element, period, unit, coc = problem
            value_aoc = aoc
            if dv.get("attributeOptionCombo"):
                found = self.find("categoryOptionCombo", dv["attributeOptionCombo"],
                                  schemes["categoryOptionCombo"])  # fmt: skip
                if found is None:
                    conflict(dv["attributeOptionCombo"], "attributeOptionCombo", "E7615",
                             "Attribute option combo not found or not accessible for writing "
                             f"data: `{dv['attributeOptionCombo']}`", index)  # fmt: skip
                    count["ignored"] += 1
                    continue
                value_aoc = found["id"]
            value, comment = dv.get("value"), dv.get("comment")
            if value in ("0", "0.0") and not element.get("zeroIsSignificant") and not comment:
                count["ignored"] += 1  # DHIS2 does not store an insignificant zero
                continue
            key = (element["id"], period, unit["id"], coc["id"], value_aoc)
            count["updated" if key in self.values else "imported"] += 1
            if not dry:
                self.values[key] = {"value": value, "comment": comment}
        status = "WARNING" if conflicts else "SUCCESS"
        return (409 if conflicts else 200), self.summary(status, count, conflicts, dry)

    def check(self, dv, document, schemes, data_set, index, conflict):
        raw = {
            "dataElement": dv.get("dataElement"),
            "orgUnit": dv.get("orgUnit") or document.get("orgUnit"),
            "categoryOptionCombo": dv.get("categoryOptionCombo"),
        }
        element = self.find("dataElement", raw["dataElement"] or "", schemes["dataElement"])
        if element is None:
            conflict(raw["dataElement"], "dataElement", "E7610",
                     f"Data element not found or not accessible: `{raw['dataElement']}`", index)  # fmt: skip
            return None
        period = dv.get("period") or document.get("period") or ""
        if not PERIOD.match(period):
            conflict(period, "period", "E7611", f"Period not valid: `{period}`", index)
            return None
        unit = self.find("orgUnit", raw["orgUnit"] or "", schemes["orgUnit"])
        if unit is None:
            conflict(raw["orgUnit"], "orgUnit", "E7612",
                     f"Organisation unit not found or not accessible: `{raw['orgUnit']}`", index)  # fmt: skip
            return None
        if raw["categoryOptionCombo"]:
            coc = self.find("categoryOptionCombo", raw["categoryOptionCombo"],
                            schemes["categoryOptionCombo"])  # fmt: skip
            if coc is None:
                conflict(raw["categoryOptionCombo"], "categoryOptionCombo", "E7613",
                         "Category option combo not found or not accessible for writing data: "
                         f"`{raw['categoryOptionCombo']}`", index)  # fmt: skip
                return None
        else:
            coc = self.uids["categoryOptionCombo"][DEFAULT_COC]
        if coc["categoryCombo"]["id"] != self.combo_of(element):
            conflict(coc["id"], "categoryOptionCombo", "E7634",
                     f"Category option combo: `{coc['id']}` must be part of category combo of "
                     f"data element: `{element['id']}`", index)  # fmt: skip
            return None
        if data_set is not None:
            members = {e["dataElement"]["id"] for e in data_set["dataSetElements"]}
            if element["id"] not in members:
                conflict(element["id"], "dataElement", "E7633",
                         f"Data element: `{element['id']}` is not part of dataset: "
                         f"`{data_set['id']}`", index)  # fmt: skip
                return None
        assigned = {
            o["id"]
            for ds in self.meta["dataSets"]
            if element["id"] in {e["dataElement"]["id"] for e in ds["dataSetElements"]}
            for o in ds["organisationUnits"]
        }
        if unit["id"] not in assigned:
            conflict(unit["id"], "orgUnit", "E7636",
                     f"Data element: `{element['id']}` must be assigned through data sets to "
                     f"organisation unit: `{unit['id']}`", index)  # fmt: skip
            return None
        value, comment = dv.get("value"), dv.get("comment")
        if value is None and comment is None:
            conflict("Value", "value", "E7618",
                     f"Data value or comment not specified for data element: `{element['id']}`",
                     index)  # fmt: skip
            return None
        pattern = NUMERIC.get(element["valueType"])
        if value is not None and pattern is not None:
            bad = not isinstance(value, str) or not pattern.match(value)
            if not bad and element["valueType"] == "PERCENTAGE" and float(value) > 100:
                bad = True
            if bad:
                conflict(str(value), "value", "E7619",
                         f"Value must match data element's `{element['id']}` type constraints: "
                         f"{element['valueType']}", index)  # fmt: skip
                return None
        return element, period, unit, coc

    # -- ADX -------------------------------------------------------------------------------

    def adx_period(self, text: str) -> str | None:
        """The DHIS2 period of an ADX one (start/duration), or None."""
        m = ADX_PERIOD.match(text or "")
        if not m:
            return None
        try:
            start = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        duration = m.group(4)
        if duration == "1Y" and (start.month, start.day) == (1, 1):
            return str(start.year)
        if duration == "3M" and start.day == 1 and start.month in (1, 4, 7, 10):
            return f"{start.year}Q{(start.month - 1) // 3 + 1}"
        if duration == "1M" and start.day == 1:
            return f"{start.year}{start.month:02d}"
        if duration == "7D" and start.isoweekday() == 1:
            iso = start.isocalendar()
            return f"{iso.year}W{iso.week}"
        return None

    @staticmethod
    def adx_of(period: str) -> str:
        """The ADX period (start/duration) of a DHIS2 one."""
        m = PERIOD.match(period)
        year = int(m.group(1))
        if m.group(2):
            return f"{year}-{m.group(2)}-01/P1M"
        if m.group(3):
            return f"{year}-{(int(m.group(3)) - 1) * 3 + 1:02d}-01/P3M"
        if m.group(4):
            return f"{dt.date.fromisocalendar(year, int(m.group(4)), 1).isoformat()}/P7D"
        return f"{year}-01-01/P1Y"

    def options_of(self, combo_id: str) -> dict[str, dict]:
        """Each category of a category combo (by code) → its options."""
        meta = self.meta
        options = {o["id"]: o for o in meta["categoryOptions"]}
        categories = {c["id"]: c for c in meta["categories"]}
        combo = next(c for c in meta["categoryCombos"] if c["id"] == combo_id)
        out = {}
        for ref in combo["categories"]:
            category = categories[ref["id"]]
            out[category["id"]] = {
                "category": category,
                "options": [options[o["id"]] for o in category["categoryOptions"]],
            }
        return out

    def resolve_combo(self, element: dict, attributes: dict, scheme: str) -> str:
        """The category option combo (in `scheme`) of a value's exploded categories; ValueError
        with DHIS2's message when one is missing or names no option of its category."""
        combo_id = self.combo_of(element)
        if combo_id == "bjDvmb4bfuf":  # the default combo: no category attributes
            return ""
        chosen = set()
        for spec in self.options_of(combo_id).values():
            category = spec["category"]
            code = category.get("code")
            if not code or not XML_NAME.match(code):
                raise ValueError(f"Category code for {category['name']} is missing or invalid: "
                                 f"{code}")  # fmt: skip
            if code not in attributes:
                combo = next(c for c in self.meta["categoryCombos"] if c["id"] == combo_id)
                raise ValueError(f"Category combo {combo['name']} must have {category['name']}")
            given = attributes.pop(code)
            option = next((o for o in spec["options"] if self.ident(o, scheme) == given
                           and (scheme.lower() != "code" or "code" in o)), None)  # fmt: skip
            if option is None:
                raise ValueError(f"Invalid attributes:{{{code}={given}}}")
            chosen.add(option["id"])
        for coc in self.by_kind["categoryOptionCombo"]:
            if (
                coc["categoryCombo"]["id"] == combo_id
                and {o["id"] for o in coc["categoryOptions"]} == chosen
            ):
                return self.ident(coc, scheme)
        raise ValueError(f"Invalid attributes: no category option combo of {sorted(chosen)}")

    def import_adx(self, body: bytes, query: dict) -> tuple[int, dict]:
        """An ADX message read as DHIS2 reads it: each group turned into data values, checked
        as a JSON import's are; conflicts found while reading ADX added to its summary."""
        self.requests.append({"adx": body})
        schemes = self.schemes({}, query)
        count = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}

        def error(message: str) -> tuple[int, dict]:
            answer = self.summary("ERROR", count, [], query.get("dryRun") == "true")
            answer["response"]["description"] = message
            answer["response"]["conflicts"] = [
                {"object": "adx", "objects": {}, "value": message, "errorCode": "E7600",
                 "property": "adx", "indexes": []}
            ]  # fmt: skip
            return 409, answer

        try:
            root = SafeET.fromstring(body)
        except (ET.ParseError, DefusedXmlException) as exc:
            return error(f"ADX import failed: {exc}")
        if root.tag != f"{{{ADX_NS}}}adx":
            return error(f"ADX import failed: the root is {root.tag}, not adx")
        values, adx_conflicts, data_sets = [], [], set()
        for number, group in enumerate(root.iter(f"{{{ADX_NS}}}group")):
            attrs = dict(group.attrib)
            where = f"Data set import failed within group number: {number}"
            for required in ("period", "orgUnit"):
                if required not in attrs:
                    return error(f"{where}: {required} attribute is required on 'group'")
            period = self.adx_period(attrs.pop("period"))
            if period is None:
                return error(f"{where}: period {group.get('period')!r} is not an ADX period")
            data_set = attrs.pop("dataSet", None)
            if data_set is not None:
                if self.find("dataSet", data_set, schemes["dataSet"]) is None:
                    return error(f"{where}: No data set matching {schemes['dataSet'].lower()} "
                                 f"'{data_set}'")  # fmt: skip
                data_sets.add(data_set)
            for element_node in group.iter(f"{{{ADX_NS}}}dataValue"):
                dv = dict(element_node.attrib)
                if "dataElement" not in dv or "value" not in dv:
                    missing = "dataElement" if "dataElement" not in dv else "value"
                    adx_conflicts.append(f"{missing} attribute is required on 'dataValue'")
                    continue
                element = self.find("dataElement", dv["dataElement"], schemes["dataElement"])
                if element is None:
                    adx_conflicts.append(f"No data element matching "
                                         f"{schemes['dataElement'].lower()} '{dv['dataElement']}'")  # fmt: skip
                    continue
                item = {"dataElement": dv.pop("dataElement"), "value": dv.pop("value"),
                        "period": period, "orgUnit": attrs["orgUnit"]}  # fmt: skip
                if "attributeOptionCombo" in attrs:
                    item["attributeOptionCombo"] = attrs["attributeOptionCombo"]
                if "categoryOptionCombo" in dv:
                    item["categoryOptionCombo"] = dv.pop("categoryOptionCombo")
                else:
                    try:
                        combo = self.resolve_combo(element, dv, schemes["categoryOptionCombo"])
                    except ValueError as exc:
                        adx_conflicts.append(str(exc))
                        continue
                    if combo:
                        item["categoryOptionCombo"] = combo
                values.append(item)
        document: dict = {"dataValues": values}
        if len(data_sets) == 1:
            document["dataSet"] = data_sets.pop()
        status, answer = self.import_(document, query)
        self.requests.pop()  # the ADX body stays as what was received
        response = answer["response"]
        for message in adx_conflicts:
            response["conflicts"].append({"object": "adx", "objects": {}, "value": message,
                                          "errorCode": "E7600", "property": "adx",
                                          "indexes": []})  # fmt: skip
        response["importCount"]["ignored"] += len(adx_conflicts)
        if adx_conflicts and response["status"] == "SUCCESS":
            fresh = self.summary("WARNING", response["importCount"], response["conflicts"],
                                 response["importOptions"]["dryRun"])  # fmt: skip
            return 409, fresh
        return (409 if response["conflicts"] else status), answer

    def read_adx(self, query: dict[str, list[str]]) -> str:
        """What DHIS2's ADX writer answers for dataSet, period and orgUnit (UIDs or codes)."""

        def by_either(kind: str, ident: str):
            return self.uids[kind].get(ident) or self.find(kind, ident, "code")

        data_sets = [d for d in (by_either("dataSet", i) for i in query.get("dataSet", [])) if d]
        units = []
        for ident in query.get("orgUnit", []):
            unit = by_either("orgUnit", ident)
            if unit:
                units.append(unit)
                if (query.get("children") or ["false"])[0] == "true":
                    units += [o for o in self.by_kind["orgUnit"]
                              if unit["id"] in o["path"] and o["id"] != unit["id"]]  # fmt: skip
        periods = query.get("period", [])
        root = ET.Element(f"{{{ADX_NS}}}adx", {"exported": "2026-12-05T00:00:00Z"})
        coc_by_id = self.uids["categoryOptionCombo"]
        options = {o["id"]: o for o in self.meta["categoryOptions"]}
        categories = self.meta["categories"]

        def exploded(coc_id: str) -> dict[str, str]:
            coc = coc_by_id[coc_id]
            if coc["categoryCombo"]["id"] == "bjDvmb4bfuf":
                return {}
            out = {}
            for option_ref in coc["categoryOptions"]:
                category = next(c for c in categories
                                if option_ref["id"] in {o["id"] for o in c["categoryOptions"]})  # fmt: skip
                out[category["code"]] = options[option_ref["id"]]["code"]
            return out

        for data_set in data_sets:
            members = {e["dataElement"]["id"] for e in data_set["dataSetElements"]}
            aocs = [c["id"] for c in self.by_kind["categoryOptionCombo"]
                    if c["categoryCombo"]["id"] == data_set["categoryCombo"]["id"]]  # fmt: skip
            for aoc in aocs:
                for unit in units:
                    for period in periods:
                        stored = [(key, v) for key, v in sorted(self.values.items())
                                  if key[0] in members and key[1] == period
                                  and key[2] == unit["id"] and key[4] == aoc
                                  and v["value"] is not None]  # fmt: skip
                        if not stored or not PERIOD.match(period):
                            continue
                        group = ET.SubElement(root, f"{{{ADX_NS}}}group", {
                            "dataSet": data_set["code"], "period": self.adx_of(period),
                            "orgUnit": unit["code"], **exploded(aoc)})  # fmt: skip
                        for (de, _pe, _ou, coc, _aoc), v in stored:
                            ET.SubElement(group, f"{{{ADX_NS}}}dataValue", {
                                "dataElement": self.uids["dataElement"][de]["code"],
                                **exploded(coc), "value": v["value"]})  # fmt: skip
        ET.register_namespace("", ADX_NS)
        return ET.tostring(root, encoding="unicode")

    @staticmethod
    def summary(status, count, conflicts, dry):
        http = "OK" if not conflicts else "Conflict"
        message = {
            "SUCCESS": "Import was successful.",
            "WARNING": "One more conflicts encountered, please check import summary.",
            "ERROR": "An error occurred, please check import summary.",
        }[status]
        return {
            "httpStatus": http,
            "httpStatusCode": 200 if http == "OK" else 409,
            "status": {"SUCCESS": "OK"}.get(status, status),
            "message": message,
            "response": {
                "responseType": "ImportSummary",
                "status": status,
                "importOptions": {
                    "idSchemes": {},
                    "dryRun": dry,
                    "importStrategy": "CREATE_AND_UPDATE",
                },
                "description": "Import process completed successfully",
                "importCount": count,
                "conflicts": conflicts,
                "rejectedIndexes": sorted({i for c in conflicts for i in c["indexes"]}),
                "dataSetComplete": "false",
            },
        }

    # -- export ----------------------------------------------------------------------------

    def read(self, query: dict[str, list[str]]) -> dict:
        scheme = (query.get("idScheme") or ["uid"])[0]
        units = set()
        for ident in query.get("orgUnit", []):
            unit = self.uids["orgUnit"].get(ident) or self.find("orgUnit", ident, "code")
            if unit:
                units.add(unit["id"])
                if (query.get("children") or ["false"])[0] == "true":
                    units |= {o["id"] for o in self.by_kind["orgUnit"] if unit["id"] in o["path"]}
        periods = set(query.get("period", []))
        out = []
        for (de, pe, ou, coc, aoc), stored in sorted(self.values.items()):
            if ou not in units or (periods and pe not in periods):
                continue
            item = {
                "dataElement": self.ident(self.uids["dataElement"][de], scheme),
                "period": pe,
                "orgUnit": self.ident(self.uids["orgUnit"][ou], scheme),
                "categoryOptionCombo": self.ident(self.uids["categoryOptionCombo"][coc], scheme),
                "attributeOptionCombo": self.ident(self.uids["categoryOptionCombo"][aoc], scheme),
                "storedBy": "admin",
                "created": "2026-12-05T00:00:00.000",
                "lastUpdated": "2026-12-05T00:00:00.000",
                "followup": False,
            }
            if stored["value"] is not None:
                item["value"] = stored["value"]
            if stored["comment"] is not None:
                item["comment"] = stored["comment"]
            out.append(item)
        return {"dataValues": out}


class _Handler(BaseHTTPRequestHandler):
    instance: Instance

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: dict | str, content_type="application/json"):
        data = body if isinstance(body, str) else json.dumps(body)
        raw = data.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        for user in self.instance.users:
            if header == f"ApiToken {user['token']}":
                return True
            basic = base64.b64encode(f"{user['username']}:{user['password']}".encode()).decode()
            if header == f"Basic {basic}":
                return True
        return False

    def _route(self):
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") not in ("/api/dataValueSets", "/api/dataValueSets.json"):
            self._send(404, {"httpStatus": "Not Found", "httpStatusCode": 404,
                             "status": "ERROR", "message": "Not found"})  # fmt: skip
            return None
        if not self._authorised():
            self._send(401, {"httpStatus": "Unauthorized", "httpStatusCode": 401,
                             "status": "ERROR", "message": "Unauthorized"})  # fmt: skip
            return None
        return parse_qs(parts.query)

    def do_POST(self):
        query = self._route()
        if query is None:
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.headers.get("Content-Type", "").startswith(ADX_TYPE):
            status, answer = self.instance.import_adx(body, {k: v[0] for k, v in query.items()})
            self._send(status, answer)
            return
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self._send(415, {"httpStatus": "Unsupported Media Type", "httpStatusCode": 415,
                             "status": "ERROR", "message": "Unsupported Media Type"})  # fmt: skip
            return
        try:
            document = json.loads(body)
        except ValueError as exc:
            self._send(400, {"httpStatus": "Bad Request", "httpStatusCode": 400,
                             "status": "ERROR", "message": f"JSON parse error: {exc}"})  # fmt: skip
            return
        status, answer = self.instance.import_(document, {k: v[0] for k, v in query.items()})
        self._send(status, answer)

    def do_GET(self):
        query = self._route()
        if query is None:
            return
        if ADX_TYPE in self.headers.get("Accept", ""):
            # DHIS2 validates the request first (for ADX the data set is required).
            for param, message in (
                ("dataSet", "At least one valid data set must be specified"),
                ("period", "At least one valid period or start/end dates must be specified"),
                ("orgUnit", "At least one valid organisation unit must be specified"),
            ):
                if not query.get(param):
                    self._send(409, {"httpStatus": "Conflict", "httpStatusCode": 409,
                                     "status": "ERROR", "message": message})  # fmt: skip
                    return
            self._send(200, self.instance.read_adx(query), ADX_TYPE)
            return
        self._send(200, self.instance.read(query))


class StandIn:
    """The stand-in running in a thread on 127.0.0.1 (a free port), for a `with` block."""

    def __init__(self, metadata: Path = METADATA):
        self.instance = Instance(metadata)
        handler = type("Handler", (_Handler,), {"instance": self.instance})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
