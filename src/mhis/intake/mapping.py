"""A source's column mapping: for each MHIS field, where a row's value comes from.

A field is given as the file's column (``"sex": "Sex"``, the form mappings always had), or
as an object saying more::

    {"column": "Sex", "values": {"M": "male", "F": "female"}}   the file's values recoded
    {"value": "passport"}                                       the same value for every row
    {"column": "Issued by", "default": "MM"}                    an empty cell read as "MM"
    {"column": "Country", "as": "country", "sites": {"TH": "MSOT-CLIN"}}

A constant (`value`) and a `default` are read as a cell of the file would be: recoded by
`values`, and, for a field read ``"as": "country"``, taken for a country. A value `values`
does not list is read as it is, so a file mixing its own codes with MHIS's imports, and a
value that is neither is refused with its row, naming the column.

A field of a country's code (nationality, an identifier's issuer, a migration's origin and
destination) read ``"as": "country"`` takes an ISO 3166-1 alpha-2 or alpha-3 code or the
country's English name. The registration site read as a country: the cell holds a country
and the row is registered at the importer's one site in that country. Where the importer has several sites there, `sites` names the one to use
(country -> site code); a country with none of their sites, or several and none named,
refuses the row, naming the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mhis.access.services import scope_sites
from mhis.codelists import country_of

OPTIONS = ("column", "value", "values", "default", "as", "sites")
SITE_FIELD = "registration_site"  # read as a country: the importer's site there
# Fields of a country's code that may be read "as": "country" (a code or an English name).
COUNTRY_FIELDS = (SITE_FIELD, "nationality", "identifier_country", "origin_country",
                  "destination_country")  # fmt: skip
# A constant or default of these fields fills only the rows that have the field they
# describe: an identifier's type and issuer go with a number.
DESCRIBES = {"identifier_type": "identifier_value", "identifier_country": "identifier_value"}


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Entry:
    """Where one field's value comes from."""

    field: str
    column: str = ""
    value: str | None = None  # the same for every row
    values: dict[str, str] = field(default_factory=dict)  # folded file value -> MHIS's
    default: str = ""
    country: bool = False
    sites: dict[str, str] = field(default_factory=dict)  # alpha-2 -> site code

    @property
    def label(self) -> str:
        """What a row's error names: the file's column, or the field of a constant."""
        return self.column or self.field


class ColumnMap(dict):
    """MHIS field -> what names it in a row's errors (the file's column, or the field for a
    constant); `read` gives a row's values."""

    def __init__(self, entries: Iterable[Entry], sites: dict[str, list[str]]):
        self.entries = {e.field: e for e in entries}
        super().__init__({f: e.label for f, e in self.entries.items()})
        self._sites = sites  # the importer's site codes by country

    def add_column(self, name: str) -> None:
        """Read the field `name` from the file's column of the same name."""
        self.entries[name] = Entry(name, column=name)
        self[name] = name
        self._plan_rows = None  # worked out again at the next row

    def _plan(self) -> list[tuple]:
        """The entries as `read` goes through them, worked out once for a set of entries
        (every row of a file is read through them): those that describe another field
        (`DESCRIBES`) after it, each as the plain values `read` uses."""
        plan = getattr(self, "_plan_rows", None)
        if plan is None or len(plan) != len(self.entries):
            order = sorted(self.entries.items(), key=lambda item: item[0] in DESCRIBES)
            plan = self._plan_rows = [
                (name, e, e.column, e.value, e.default, e.values, e.country, DESCRIBES.get(name))
                for name, e in order
            ]
        return plan

    def read(self, raw: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
        """A row's values by field, and the errors of values the mapping cannot read (the
        file's column -> reasons). Without a value of the field an entry describes
        (`DESCRIBES`), the entry gives no constant nor default."""
        values: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        get = raw.get
        for name, entry, column, constant, default, table, country, describes in self._plan():
            text = constant if constant is not None else get(column, "")
            if (
                describes is not None
                and not values.get(describes)  # describes nothing here: only a value given
                and (constant is not None or not (text or "").strip())
            ):
                values[name] = ""
                continue
            text = (text or "").strip() or default
            if table:
                text = table.get(_fold(text), text)
            if country and text:
                try:
                    text = self._site_in(entry, text) if name == SITE_FIELD else country_of(text)
                except ValueError as exc:
                    errors[entry.label] = [str(exc)]
                    text = ""
            values[name] = text
        return values, errors

    def _site_in(self, entry: Entry, text: str) -> str:
        country = country_of(text)
        if country in entry.sites:
            return entry.sites[country]
        codes = self._sites.get(country, [])
        if len(codes) == 1:
            return codes[0]
        if not codes:
            raise ValueError(
                _("None of your sites is in the country “%(country)s”.") % {"country": text}
            )
        raise ValueError(
            _(
                "Several of your sites are in the country “%(country)s” (%(sites)s): name the "
                "one for it under “sites” in the mapping."
            )
            % {"country": text, "sites": ", ".join(sorted(codes))}
        )


def parse(
    user,
    spec: Any,
    fields: Iterable[str],
    header: list[str] | None = None,
    codes: Mapping[str, tuple[str, ...]] | None = None,
) -> ColumnMap:
    """The mapping `spec` (field -> a column, or an object of `OPTIONS`) checked: every
    problem is reported at once under ``mapping``, each naming its field; with `header`,
    a column the file does not have under ``file``. `codes` are the values a coded field
    takes: what the mapping recodes to, or sets, must be one of them."""
    if not isinstance(spec, Mapping):
        raise ValidationError(
            {"mapping": _("Give the mapping as an object of MHIS fields and the file's columns.")}
        )
    fields = tuple(fields)
    problems: list[str] = []
    unknown = sorted(str(f) for f in spec if f not in fields)
    if unknown:
        problems.append(_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
    sites = _sites_by_country(user) if _reads_country(spec) else {}
    entries = []
    for name, given in spec.items():
        if name in fields:
            entry = _entry(name, given, problems, sites, (codes or {}).get(name))
            if entry is not None:
                entries.append(entry)
    errors: dict[str, list[str]] = {}
    if problems:
        errors["mapping"] = problems
    if header is not None:
        missing = sorted({e.column for e in entries if e.column and e.column not in header})
        if missing:
            errors["file"] = [
                _("The file has no column %(names)s.") % {"names": ", ".join(missing)}
            ]
    if errors:
        raise ValidationError(errors)
    return ColumnMap(entries, sites)


def _reads_country(spec: Mapping) -> bool:
    return any(isinstance(v, Mapping) and v.get("as") == "country" for v in spec.values())


def _sites_by_country(user) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, country in scope_sites(user).values_list("code", "country_code"):
        out.setdefault(country, []).append(code)
    return out


def _entry(
    name: str,
    given: Any,
    problems: list[str],
    sites: dict[str, list[str]],
    codes: tuple[str, ...] | None,
) -> Entry | None:
    """One field's entry, or None with its problems added (each naming the field)."""

    def problem(message: str, **params: str) -> None:
        problems.append(f"{name}: " + (message % params if params else message))

    if isinstance(given, str):
        if not given.strip():
            problem(_("give the file's column."))
            return None
        return Entry(name, column=given.strip())
    if not isinstance(given, Mapping):
        problem(_("give the file's column, or an object with “column” or “value”."))
        return None
    before = len(problems)
    extra = sorted(str(k) for k in given if k not in OPTIONS)
    if extra:
        problem(
            _("unknown options %(names)s; use %(options)s."),
            names=", ".join(extra),
            options=", ".join(OPTIONS),
        )
    for option in ("column", "value", "default"):
        if option in given and not isinstance(given[option], str):
            problem(_("“%(option)s” must be text."), option=option)
    if ("column" in given) == ("value" in given):
        problem(_("give either “column” (the file's column) or “value” (the same for every row)."))
    elif "column" in given and isinstance(given["column"], str) and not given["column"].strip():
        problem(_("give the file's column."))
    recode = given.get("values", {})
    if not isinstance(recode, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in recode.items()
    ):
        problem(_("“values” must map each of the file's values to MHIS's, as text."))
        recode = {}
    if codes is not None:
        written = [given.get("value"), given.get("default"), *recode.values()]
        wrong = sorted({v for v in written if isinstance(v, str) and v and v not in codes})
        wrong = [v for v in wrong if v.strip().casefold() not in {_fold(k) for k in recode}]
        if wrong:
            problem(
                _("%(values)s: not among the values MHIS takes (%(codes)s)."),
                values=", ".join(f"“{v}”" for v in wrong),
                codes=", ".join(codes),
            )
    country = "as" in given
    if country and given["as"] != "country":
        problem(_("“as” can only be “country”."))
    elif country and name not in COUNTRY_FIELDS:
        problem(_("only %(fields)s can be read as a country."), fields=", ".join(COUNTRY_FIELDS))
    chosen: dict[str, str] = {}
    if "sites" in given:
        if not country or name != SITE_FIELD:
            problem(_("“sites” goes with “as”: “country” for the registration site."))
        elif not isinstance(given["sites"], Mapping):
            problem(_("“sites” must map countries to the codes of your sites."))
        else:
            mine = {code for codes in sites.values() for code in codes}
            for place, code in given["sites"].items():
                try:
                    chosen[country_of(str(place))] = str(code)
                except ValueError as exc:
                    problem("%(error)s", error=str(exc))
                    continue
                if code not in mine:
                    problem(_("no site with the code “%(code)s” in your places."), code=str(code))
    if len(problems) > before:
        return None
    return Entry(
        name,
        column=given.get("column", "").strip(),
        value=given.get("value"),
        values={_fold(k): v for k, v in recode.items()},
        default=given.get("default", ""),
        country=country,
        sites=chosen,
    )
