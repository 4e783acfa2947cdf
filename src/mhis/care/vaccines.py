"""Vaccines (by antigen, as WHO immunization schedules name them) and a check for LOINC codes.

No maintained package carries a vaccine code list for migrant programmes; this one is kept
here, with the number of doses a schedule can have, so dose numbers can be checked.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

VACCINES: dict[str, tuple[object, int]] = {
    "BCG": (_("BCG (tuberculosis)"), 1),
    "HEPB": (_("Hepatitis B"), 4),
    "OPV": (_("Polio, oral (OPV)"), 5),
    "IPV": (_("Polio, inactivated (IPV)"), 4),
    "DTP": (_("Diphtheria, tetanus, pertussis (DTP)"), 6),
    "PENTA": (_("DTP, hepatitis B and Hib (pentavalent)"), 4),
    "HIB": (_("Haemophilus influenzae type b"), 4),
    "PCV": (_("Pneumococcal conjugate"), 4),
    "ROTA": (_("Rotavirus"), 3),
    "MEASLES": (_("Measles"), 3),
    "MR": (_("Measles and rubella"), 3),
    "MMR": (_("Measles, mumps and rubella"), 3),
    "TD": (_("Tetanus and diphtheria (Td)"), 5),
    "TDAP": (_("Tetanus, diphtheria and pertussis (Tdap)"), 5),
    "VARICELLA": (_("Varicella"), 2),
    "HPV": (_("Human papillomavirus"), 3),
    "YF": (_("Yellow fever"), 1),
    "JE": (_("Japanese encephalitis"), 3),
    "MENACWY": (_("Meningococcal ACWY"), 2),
    "TYPHOID": (_("Typhoid conjugate"), 2),
    "OCV": (_("Cholera, oral"), 3),
    "INFLUENZA": (_("Seasonal influenza"), 99),
    "COVID19": (_("COVID-19"), 99),
    "RABIES": (_("Rabies"), 5),
    "HEPA": (_("Hepatitis A"), 2),
}


def vaccine_choices() -> list[tuple[str, object]]:
    return [(code, label) for code, (label, _doses) in VACCINES.items()]


def valid_loinc(code: str) -> bool:
    """True for a LOINC code written NNNNN-C whose check digit (mod 10) is right."""
    number, _, check = (code or "").partition("-")
    if not (number.isdigit() and check.isdigit() and len(check) == 1 and 1 <= len(number) <= 7):
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(check)
