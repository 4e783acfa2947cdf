"""Disclosure control: every aggregate passes through here before it leaves the system.

Two ways out (ADR 0014):

- **Protected** (every role that does not see the people counted, and every export to another
  system): each count gets the cell-key noise of `mhis.indicators.cellkey` — the same records
  always the same noise, in every table, period, place and indicator — so no combination of
  published cells gives back a true small count. After the noise, counts from 1 to the rule's
  threshold − 1 are shown as "<5"; a cell of the highest-sensitivity migration statuses
  (`registry.codes.HIGHEST_SENSITIVITY`) under 10 as "<10". Totals are cells in their own right:
  they are perturbed too, so parts need not add up to them exactly.
- **Exact** (roles granted `exact_indicators`: those who see every person counted anyway, in
  their own places): the true numbers.

Rules (chosen per indicator, threshold of the default rule from MHIS_SUPPRESSION_THRESHOLD):
``default`` withholds 1–4; ``strict`` 1–10; ``rounded`` 1–7 and rounds other counts to 5.
A rate is withheld when its numerator or its denominator is withheld; a median or a
percentile when it summarises fewer values than the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mhis.registry.codes import HIGHEST_SENSITIVITY

from .cellkey import perturb
from .definitions import RATE_UNITS, VALUE_UNITS
from .engine import SCALE, Key, Table
from .sources import AGE_GROUPS

SMALL, SENSITIVE = "small", "sensitive"
# The smallest group of a highest-sensitivity migration status shown in a protected table.
SENSITIVE_THRESHOLD = 10


@dataclass(frozen=True)
class Rule:
    threshold: int  # counts 1 … threshold-1 are withheld
    round_to: int = 0


def rule(name: str) -> Rule:
    if name == "strict":
        return Rule(11)
    if name == "rounded":
        return Rule(8, round_to=5)
    return Rule(max(2, int(getattr(settings, "MHIS_SUPPRESSION_THRESHOLD", 5))))


@dataclass
class Shown:
    """A cell as it may be published: withheld numbers are None and `flag` says why."""

    key: Key
    numerator: int | None
    denominator: int | None
    value: float | None
    flag: str = ""  # "" | SMALL | SENSITIVE

    @property
    def hidden(self) -> bool:
        return bool(self.flag)


def _sensitive(table: Table, key: Key) -> bool:
    """Whether the cell counts only people of the highest-sensitivity statuses: by its own
    status category, or by the indicator's population (say "irregular migrants seen")."""
    by = table.request.by
    if "migration_status" in by and key[1 + by.index("migration_status")] in HIGHEST_SENSITIVITY:
        return True
    admitted = table.indicator.statuses
    return admitted is not None and admitted <= HIGHEST_SENSITIVITY


def protect(table: Table, *, exact: bool = False) -> list[Shown]:
    """The publishable cells of `table`, in key order: exact, or protected (see above)."""
    indicator = table.indicator
    unit = indicator.unit
    by = table.request.by
    cells = sorted(table.cells.items(), key=lambda item: _order(item, by))
    if exact:
        return [Shown(key, _int(c.numerator), _int(c.denominator), c.value) for key, c in cells]
    r = rule(indicator.suppression)
    out = []
    for key, c in cells:
        threshold = max(r.threshold, SENSITIVE_THRESHOLD if _sensitive(table, key) else 0)
        flag = SMALL if threshold == r.threshold else SENSITIVE
        n = perturb(c.numerator, c.key)
        if unit in VALUE_UNITS:
            # A median or percentile is exact: it is shown only when it summarises at least
            # `threshold` values, in truth and once its n is adjusted.
            enough = c.numerator >= threshold and n >= threshold
            out.append(
                Shown(key, n, None, c.value) if enough else Shown(key, None, None, None, flag)
            )
            continue
        d = perturb(c.denominator, c.den_key) if unit in RATE_UNITS else None
        if d is not None:
            n = min(n, d)  # a numerator is counted within its denominator
        if _withheld(n, threshold) or _withheld(d, threshold):
            out.append(Shown(key, None, None, None, flag))
            continue
        n, d = _rounded(n, r), _rounded(d, r)
        rate = n * SCALE[unit] / d if d else None
        out.append(Shown(key, n, d, rate if unit in RATE_UNITS else float(n)))
    return out


def _withheld(n: int | None, threshold: int) -> bool:
    return n is not None and 0 < n < threshold


def _int(n) -> int | None:
    return None if n is None else int(n)


def _rounded(n: int | None, r: Rule) -> int | None:
    if n is None or not r.round_to:
        return n
    return int(r.round_to * round(n / r.round_to))


_AGE_RANK = {code: f"{i:03d}" for i, code in enumerate(AGE_GROUPS)}


def _order(item, by: tuple[str, ...] = ()) -> tuple:
    """Period, then each breakdown's values: the total first, age bands by age (0–4 before
    5–14, unknown last), other values as text."""
    key = item[0]
    dims = ("period", *by)
    return tuple(
        ("", "") if v is None else ("~", _AGE_RANK.get(v, str(v)) if dim == "age_group" else str(v))
        for dim, v in zip(dims, key, strict=False)
    )


def threshold_of(shown: Shown, rule_name: str = "default") -> int:
    """The size under which the cell was withheld."""
    return SENSITIVE_THRESHOLD if shown.flag == SENSITIVE else rule(rule_name).threshold


def text(shown: Shown, unit: str, rule_name: str = "default") -> str:
    """The cell as a reader sees it: "<5" (or "<10") for a withheld count, "n<5" for a rate
    or a median that rests on too few (never a sign that could be read as no data), ""
    where there is nothing to show (a rate of nothing: `no_data` on pages)."""
    if shown.flag:
        prefix = "" if unit not in RATE_UNITS and unit not in VALUE_UNITS else "n"
        return f"{prefix}<{threshold_of(shown, rule_name)}"
    if shown.value is None:
        return ""
    if unit == "count":
        return number_format(int(shown.value), use_l10n=True, force_grouping=True)
    return number_format(round(shown.value, 1), 1, use_l10n=True, force_grouping=True)


def legend(
    unit: str, rule_name: str = "default", *, exact: bool = False, status: bool = False
) -> list[str]:
    """What the signs of a table mean; `status`: the table is broken down by migration status."""
    if exact:
        return [_("Exact counts: you may see every person counted here."), no_data_note()]
    threshold = rule(rule_name).threshold
    notes = [
        _(
            "Counts carry a small random adjustment (mostly 0 or ±1), the same wherever the same "
            "people are counted, so totals may differ slightly from the sum of their parts."
        ),
        _("<%(n)s: fewer than %(n)s, not shown to protect the people counted.") % {"n": threshold},
    ]
    if unit in RATE_UNITS or unit in VALUE_UNITS:
        notes.append(
            _("n<%(n)s: not shown, because it rests on fewer than %(n)s people.") % {"n": threshold}
        )
    if status:
        notes.append(
            _(
                "<%(n)s: a group of irregular migrants, asylum seekers, stateless people or victims "
                "of trafficking smaller than %(n)s."
            )
            % {"n": SENSITIVE_THRESHOLD}
        )
    if rule_name == "rounded":
        notes.append(_("Counts are rounded to the nearest 5."))
    return [*notes, no_data_note()]


def no_data() -> str:
    """The mark of a cell with nothing to show (nothing recorded, or a rate of nothing)."""
    return _("no data")


def no_data_note() -> str:
    return _("no data: nothing was recorded to compute it from, in this place and period.")
