"""TB classification as a decision table per destination programme (ADR 0019).

Each programme's table reads the same findings (`Findings`) and answers which of its classes
the results allow, which one it proposes, and whether a class lets the person be cleared to
travel. The tables are written from the programmes' published instructions:

- US: CDC, Tuberculosis Technical Instructions for Panel Physicians (Class A, A with waiver,
  B0, B1 pulmonary and extrapulmonary, B2 LTBI evaluation, B3 contact evaluation, no class).
- UK: UK Home Office / UKHSA, UK Tuberculosis Technical Instructions for the pre-entry
  screening programme (a certificate only when no active pulmonary TB is found).
- GEN: WHO case definitions (bacteriologically confirmed, clinically diagnosed TB), for
  assessments without a destination programme.

Where the instructions leave a choice to the physician (a clinical diagnosis with negative
cultures, for instance) the table allows several classes and proposes one; a class outside
the allowed ones contradicts the results (care.assessments refuses it unless overridden).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .codes import CultureResult, SmearResult, TbTreatment, TestResult, XpertResult, XrayResult

SMEAR_POSITIVE = frozenset(
    {SmearResult.SCANTY, SmearResult.POS_1, SmearResult.POS_2, SmearResult.POS_3}
)
XPERT_MTB = frozenset(
    {XpertResult.RIF_NOT_DETECTED, XpertResult.RIF_DETECTED, XpertResult.RIF_INDETERMINATE}
)
# A tuberculin skin test reads positive from 10 mm induration (CDC technical instructions).
TST_POSITIVE_MM = 10


class Clearance(StrEnum):
    """What a class allows as the fit-to-travel decision."""

    FIT = "fit"  # fit, or fit with conditions
    CONDITIONS = "conditions"  # only fit with conditions (Class A with a waiver)
    NONE = "none"  # not fit to travel until treated


class Basis(StrEnum):
    """The row of the table that decided, as the results show it."""

    TREATING = "treating"  # TB treatment ongoing
    TREATED = "treated"  # TB treatment completed under directly observed therapy
    MTB = "mtb"  # M. tuberculosis detected: culture, Xpert, or a DST result of an isolate
    SMEAR = "smear"  # acid-fast bacilli on a smear, M. tuberculosis not detected
    SUSPECTED = "suspected"  # X-ray suggestive, symptoms (or HIV): bacteriology negative
    EXTRAPULMONARY = "extrapulmonary"  # signs of extrapulmonary TB only
    LTBI = "ltbi"  # IGRA or TST positive, nothing else
    CONTACT = "contact"  # contact of a known case, nothing else
    CLEAR = "clear"  # nothing found


# The rows whose findings are a positive result: fit to travel only once treated.
POSITIVE = frozenset({Basis.TREATING, Basis.MTB, Basis.SMEAR})


@dataclass(frozen=True)
class Findings:
    """What the tables read, summarised over the sputum specimens."""

    symptoms: bool = False
    xray: str = ""  # XrayResult, "" not recorded
    hiv_positive: bool = False
    smear: str = ""  # "positive", "negative" or "" (no smear reported)
    culture: str = ""  # CultureResult: mtb over ntm over contaminated over negative; "" none
    xpert: str = ""  # XpertResult
    dst: str = ""  # DstResult
    treatment: str = ""  # TbTreatment; "" not recorded (as none)
    contact: bool = False
    extrapulmonary: bool = False
    ltbi_test_positive: bool = False  # IGRA positive or TST of 10 mm or more

    @property
    def mtb(self) -> bool:
        """M. tuberculosis detected: a culture, an Xpert, or a DST (done on an isolate)."""
        return self.culture == CultureResult.MTB or self.xpert in XPERT_MTB or bool(self.dst)

    @property
    def smear_positive(self) -> bool:
        return self.smear == "positive"


@dataclass(frozen=True)
class Decision:
    programme: str
    basis: Basis
    allowed: tuple[str, ...]  # the classes the results allow, the proposed one first

    @property
    def proposed(self) -> str:
        return self.allowed[0]

    @property
    def positive(self) -> bool:
        return self.basis in POSITIVE


def summarise(
    *,
    tb_symptoms: bool | None,
    xray_result: str,
    hiv_result: str,
    xpert_result: str,
    dst_result: str,
    igra_result: str,
    tst_mm: int | None,
    tb_treatment: str,
    tb_contact: bool | None,
    extrapulmonary_tb: bool | None,
    smears: Iterable[str],
    cultures: Iterable[str],
) -> Findings:
    """The findings of an assessment's fields and its specimens' smear and culture results."""
    smears = [s for s in smears if s]
    cultures = {c for c in cultures if c}
    smear = "positive" if any(s in SMEAR_POSITIVE for s in smears) else "negative" if smears else ""
    culture = next(
        (
            c
            for c in (
                CultureResult.MTB,
                CultureResult.NTM,
                CultureResult.CONTAMINATED,
                CultureResult.NEGATIVE,
            )
            if c in cultures
        ),
        "",
    )
    return Findings(
        symptoms=tb_symptoms is True,
        xray=xray_result,
        hiv_positive=hiv_result == TestResult.POSITIVE,
        smear=smear,
        culture=str(culture),
        xpert=xpert_result,
        dst=dst_result,
        treatment=tb_treatment,
        contact=tb_contact is True,
        extrapulmonary=extrapulmonary_tb is True,
        ltbi_test_positive=igra_result == TestResult.POSITIVE
        or (tst_mm is not None and tst_mm >= TST_POSITIVE_MM),
    )


def basis(programme: str, f: Findings) -> Basis:
    """The row of the programme's table the findings fall in (the first that applies)."""
    if f.treatment == TbTreatment.ONGOING:
        return Basis.TREATING
    if f.treatment == TbTreatment.COMPLETED and programme != "UK":
        # The UK issues no certificate on these results: the applicant is screened again once
        # treated, and that screening is classified on its own results.
        return Basis.TREATED
    if f.mtb:
        return Basis.MTB
    if f.smear_positive:
        return Basis.SMEAR
    suspected = f.xray == XrayResult.SUGGESTIVE or f.symptoms
    if programme != "UK":  # the UK instructions screen by X-ray and symptoms only
        suspected = suspected or f.hiv_positive
    if suspected:
        return Basis.SUSPECTED
    if f.extrapulmonary and programme != "UK":  # the UK screens for pulmonary TB only
        return Basis.EXTRAPULMONARY
    if f.ltbi_test_positive and programme != "UK":
        return Basis.LTBI
    if f.contact and programme != "UK":
        return Basis.CONTACT
    return Basis.CLEAR


def _us(row: Basis, f: Findings) -> tuple[str, ...]:
    """CDC Tuberculosis Technical Instructions for Panel Physicians."""
    disease = ("A", "A_WAIVER")
    match row:
        case Basis.TREATING | Basis.MTB | Basis.SMEAR:
            # A positive smear or culture is TB disease: treated under DOT before travel.
            return disease
        case Basis.TREATED:
            # Completed DOT under the panel physician: B0. A treatment failure stays Class A.
            return ("B0", *disease)
        case Basis.SUSPECTED:
            extra = ("B1_EXTRA",) if f.extrapulmonary else ()
            return ("B1_PULM", *extra, *disease)  # A: clinically diagnosed TB disease
        case Basis.EXTRAPULMONARY:
            return ("B1_EXTRA",)
        case Basis.LTBI:
            return ("B2", "B3") if f.contact else ("B2",)
        case Basis.CONTACT:
            return ("B3",)
    return ("NONE",)


def _uk(row: Basis, f: Findings) -> tuple[str, ...]:
    """UK Tuberculosis Technical Instructions (pre-entry screening)."""
    match row:
        case Basis.TREATING | Basis.MTB | Basis.SMEAR:
            return ("UK_TB",)
        case Basis.SUSPECTED:
            # Smears and cultures negative: a certificate, unless the physician diagnoses TB.
            return ("UK_CLEAR", "UK_TB")
    return ("UK_CLEAR",)


def _gen(row: Basis, f: Findings) -> tuple[str, ...]:
    """WHO case definitions: bacteriologically confirmed or clinically diagnosed TB."""
    match row:
        case Basis.TREATING:
            return ("ACTIVE_BC",) if f.mtb or f.smear_positive else ("ACTIVE_CD", "ACTIVE_BC")
        case Basis.TREATED:
            return ("NO_TB", "ACTIVE_BC", "ACTIVE_CD")
        case Basis.MTB | Basis.SMEAR:
            return ("ACTIVE_BC",)
        case Basis.SUSPECTED:
            return ("ACTIVE_CD",) if f.extrapulmonary else ("NO_TB", "ACTIVE_CD")
        case Basis.EXTRAPULMONARY:
            return ("ACTIVE_CD",)
        case Basis.LTBI:
            return ("LTBI", "CONTACT") if f.contact else ("LTBI",)
        case Basis.CONTACT:
            return ("CONTACT",)
    return ("NO_TB",)


TABLES = {"US": _us, "UK": _uk, "GEN": _gen}

CLEARANCE: dict[str, dict[str, Clearance]] = {
    "US": {"A": Clearance.NONE, "A_WAIVER": Clearance.CONDITIONS},
    "UK": {"UK_TB": Clearance.NONE},
    "GEN": {"ACTIVE_BC": Clearance.NONE, "ACTIVE_CD": Clearance.NONE},
}


def decide(programme: str, findings: Findings) -> Decision:
    """The programme's decision for the findings (GEN's table for a programme without one)."""
    programme = programme if programme in TABLES else "GEN"
    row = basis(programme, findings)
    return Decision(programme, row, TABLES[programme](row, findings))


def clearance(programme: str, code: str) -> Clearance:
    """What the class `code` of the programme allows as the fit-to-travel decision."""
    return CLEARANCE.get(programme, CLEARANCE["GEN"]).get(code, Clearance.FIT)


def may_travel(decision: Decision) -> Clearance:
    """The most the results allow: the best clearance of the allowed classes."""
    found = {clearance(decision.programme, c) for c in decision.allowed}
    for level in (Clearance.FIT, Clearance.CONDITIONS):
        if level in found:
            return level
    return Clearance.NONE
