"""Small-cell suppression: every aggregate passes through here before it leaves the system.

Rules (chosen per indicator, threshold of the default rule from MHIS_SUPPRESSION_THRESHOLD):

- ``default``: counts 1–4 are shown as "<5" (0 is publishable);
- ``strict``: counts 1–10 are shown as "<11";
- ``rounded``: counts 1–7 are shown as "<8" and every other count is rounded to the nearest 5.

A rate is withheld when its numerator or its denominator is hidden; a median or percentile
when it summarises fewer values than the threshold. Complementary suppression then hides
further cells so that no hidden cell can be worked out from a published total: along every
dimension of the table, a total and its parts never have exactly one hidden member (the
smallest non-zero part, or else the total, is hidden too), repeated until nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .definitions import RATE_UNITS, VALUE_UNITS
from .engine import Key, Table

SMALL, COMPLEMENTARY = "small", "complementary"


@dataclass(frozen=True)
class Rule:
    threshold: int  # counts 1 … threshold-1 are hidden
    round_to: int = 0


def rule(name: str) -> Rule:
    if name == "strict":
        return Rule(11)
    if name == "rounded":
        return Rule(8, round_to=5)
    return Rule(max(2, int(getattr(settings, "MHIS_SUPPRESSION_THRESHOLD", 5))))


@dataclass
class Shown:
    """A cell as it may be published: hidden numbers are None and `flag` says why."""

    key: Key
    numerator: int | None
    denominator: int | None
    value: float | None
    flag: str = ""  # "" | SMALL | COMPLEMENTARY

    @property
    def hidden(self) -> bool:
        return bool(self.flag)


def _small(n, r: Rule) -> bool:
    return n is not None and 0 < n < r.threshold


def _complement(counts: dict[Key, float], hidden: set[Key], width: int) -> None:
    """Hide more cells of `counts` until no total has exactly one hidden member (in place)."""
    changed = True
    while changed:
        changed = False
        for j in range(1, width + 1):
            groups: dict[Key, list[Key]] = {}
            for key in counts:
                if key[j] is not None:
                    groups.setdefault((*key[:j], None, *key[j + 1 :]), []).append(key)
            for total, members in groups.items():
                family = [*members, total] if total in counts else members
                if sum(k in hidden for k in family) != 1:
                    continue
                candidates = sorted(
                    (k for k in members if k not in hidden and counts[k] > 0),
                    key=lambda k: (counts[k], repr(k)),
                )
                if candidates:
                    hidden.add(candidates[0])
                elif total in counts and total not in hidden:
                    hidden.add(total)
                else:
                    continue
                changed = True


def suppress(table: Table) -> list[Shown]:
    """The publishable cells of `table`, in key order."""
    indicator = table.indicator
    r = rule(indicator.suppression)
    width = len(table.request.by)
    cells = table.cells
    if indicator.unit in VALUE_UNITS:
        return [
            Shown(key, None, None, None, SMALL)
            if c.numerator < r.threshold
            else Shown(key, int(c.numerator), None, c.value)
            for key, c in sorted(cells.items(), key=_order)
        ]
    num = {k: c.numerator for k, c in cells.items()}
    hidden_num = {k for k, n in num.items() if _small(n, r)}
    small = set(hidden_num)
    _complement(num, hidden_num, width)
    hidden_den: set[Key] = set()
    if indicator.unit in RATE_UNITS:
        den = {k: c.denominator for k, c in cells.items() if c.denominator is not None}
        hidden_den = {k for k, d in den.items() if _small(d, r)}
        small |= hidden_den
        _complement(den, hidden_den, width)
    out = []
    for key, c in sorted(cells.items(), key=_order):
        if key in hidden_num or key in hidden_den:
            flag = SMALL if key in small else COMPLEMENTARY
            out.append(Shown(key, None, None, None, flag))
            continue
        n = _rounded(c.numerator, r)
        d = _rounded(c.denominator, r) if c.denominator is not None else None
        out.append(Shown(key, n, d, c.value if indicator.unit in RATE_UNITS else n))
    return out


def _rounded(n, r: Rule) -> int:
    n = int(n)
    return int(5 * round(n / 5)) if r.round_to and n else n


def _order(item) -> tuple:
    key = item[0]
    return tuple(("", "") if v is None else ("~", str(v)) for v in key)


def text(shown: Shown, unit: str, rule_name: str = "default") -> str:
    """The cell as a reader sees it: "<5" for a small count, "*" for one hidden to protect it."""
    if shown.flag == SMALL and unit not in RATE_UNITS and unit not in VALUE_UNITS:
        return f"<{rule(rule_name).threshold}"
    if shown.flag == COMPLEMENTARY and unit not in RATE_UNITS:
        return "*"
    if shown.flag:
        return "—"
    if shown.value is None:
        return ""
    if unit == "count":
        return number_format(int(shown.value), use_l10n=True, force_grouping=True)
    return number_format(round(shown.value, 1), 1, use_l10n=True, force_grouping=True)


def legend(unit: str, rule_name: str = "default") -> list[str]:
    threshold = rule(rule_name).threshold
    notes = [
        _("<%(n)s: fewer than %(n)s, not shown to protect the people counted.") % {"n": threshold},
        _("*: hidden as well, so that a smaller number cannot be worked out from the totals."),
    ]
    if unit in RATE_UNITS or unit in VALUE_UNITS:
        notes.append(_("—: not shown, because it rests on fewer than %(n)s.") % {"n": threshold})
    if rule_name == "rounded":
        notes.append(_("Counts are rounded to the nearest 5."))
    return notes
