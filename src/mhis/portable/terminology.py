"""Codes an IPS reader expects beside MHIS's own: vaccines in SNOMED CT and WHO ATC, lab units
in UCUM.

Vaccines (`mhis.care.vaccines`): each antigen code maps to the SNOMED CT vaccine product of
the SNOMED International IPS Terminology (the "Vaccines - SNOMED CT IPS Free Set" value set
of the IPS implementation guide, CC BY 4.0; all are descendants of 787859002 |Vaccine
product|, so in the IPS's `vaccines-uv-ips` value set) and to a WHO ATC code under J07 (the
IPS's `vaccines-whoatc-uv-ips` value set), as the WHO SMART Guidelines for immunizations
(IMMZ.Z value sets) pair them. Where MHIS's code does not say which product it was (oral
polio: monovalent, bivalent or trivalent; rotavirus; HPV valency), the ATC code is the
group's (e.g. J07BF, poliomyelitis vaccines), never a guess at one product; where no IPS
Free Set concept names the combination (pentavalent DTP-HepB-Hib, COVID-19), only ATC.
"""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"

# MHIS vaccine code -> (SNOMED CT code, display) or None, (ATC code, display) or None
VACCINE_CODES: dict[str, tuple[tuple[str, str] | None, tuple[str, str] | None]] = {
    "BCG": (("836402002", "Bacillus Calmette-Guerin antigen-containing vaccine product"),
            ("J07AN01", "tuberculosis, live attenuated")),
    "HEPB": (("836374004", "Hepatitis B virus antigen-containing vaccine product"),
             ("J07BC01", "hepatitis B, purified antigen")),
    "OPV": (("1031000221108", "Human poliovirus antigen-containing vaccine product"),
            ("J07BF", "Poliomyelitis vaccines")),
    "IPV": (("871740006", "Inactivated whole Human poliovirus antigen only vaccine product"),
            ("J07BF03", "poliomyelitis, trivalent, inactivated, whole virus")),
    "DTP": (("871875004", "Bordetella pertussis and Clostridium tetani and Corynebacterium "
                          "diphtheriae antigens only vaccine product"),
            ("J07AJ", "Pertussis vaccines")),
    "PENTA": (None, ("J07CA11", "diphtheria-haemophilus influenzae B-pertussis-tetanus-hepatitis B")),
    "HIB": (("836380007", "Haemophilus influenzae type b antigen-containing vaccine product"),
            ("J07AG01", "haemophilus influenzae B, purified antigen conjugated")),
    "PCV": (("1801000221105", "Streptococcus pneumoniae capsular polysaccharide antigen "
                              "conjugated only vaccine product"),
            ("J07AL02", "pneumococcus, purified polysaccharides antigen conjugated")),
    "ROTA": (("836387005", "Rotavirus antigen-containing vaccine product"),
             ("J07BH", "Rota virus diarrhea vaccines")),
    "MEASLES": (("871765008", "Measles morbillivirus antigen only vaccine product"),
                ("J07BD01", "measles, live attenuated")),
    "MR": (("871817003", "Measles morbillivirus and Rubella virus antigens only vaccine product"),
           ("J07BD53", "measles, combinations with rubella, live attenuated")),
    "MMR": (("871831003", "Measles morbillivirus and Mumps orthorubulavirus and Rubella virus "
                          "antigens only vaccine product"),
            ("J07BD52", "measles, combinations with mumps and rubella, live attenuated")),
    "TD": (("871826000", "Clostridium tetani and Corynebacterium diphtheriae antigens only "
                         "vaccine product"),
           ("J07AM51", "tetanus toxoid, combinations with diphtheria toxoid")),
    "TDAP": (("871876003", "Acellular Bordetella pertussis and Clostridium tetani and "
                           "Corynebacterium diphtheriae antigens only vaccine product"),
             ("J07AJ52", "pertussis, purified antigen, combinations with toxoids")),
    "VARICELLA": (("2221000221107", "Live attenuated Human alphaherpesvirus 3 only vaccine product"),
                  ("J07BK01", "varicella, live attenuated")),
    "HPV": (("836379009", "Human papillomavirus antigen-containing vaccine product"),
            ("J07BM", "Papillomavirus vaccines")),
    "YF": (("1121000221106", "Live attenuated Yellow fever virus antigen only vaccine product"),
           ("J07BL01", "yellow fever, live attenuated")),
    "JE": (("836378001", "Japanese encephalitis virus antigen-containing vaccine product"), None),
    "MENACWY": (("871873006", "Neisseria meningitidis serogroup A, C, W135 and Y only vaccine product"),
                ("J07AH", "Meningococcal vaccines")),
    "TYPHOID": (("836390004", "Salmonella enterica subspecies enterica serovar Typhi "
                              "antigen-containing vaccine product"),
                ("J07AP", "Typhoid vaccines")),
    "OCV": (("1001000221103", "Inactivated whole Vibrio cholerae antigen only vaccine product "
                              "in oral dose form"),
            ("J07AE01", "cholera, inactivated, whole cell")),
    "INFLUENZA": (("836377006", "Influenza virus antigen-containing vaccine product"),
                  ("J07BB", "Influenza vaccines")),
    "COVID19": (None, ("J07BN", "Covid-19 vaccines")),
    "RABIES": (("1131000221109", "Vaccine product containing only inactivated whole Rabies "
                                 "lyssavirus antigen"),
               ("J07BG01", "rabies, inactivated, whole virus")),
    "HEPA": (("836375003", "Hepatitis A virus antigen-containing vaccine product"),
             ("J07BC02", "hepatitis A, inactivated, whole virus")),
}  # fmt: skip


def vaccine_codings(code: str) -> list[dict]:
    """The SNOMED CT and ATC codings of an MHIS vaccine code (none for an unknown code)."""
    snomed, atc = VACCINE_CODES.get(code, (None, None))
    out = []
    if snomed:
        out.append({"system": SNOMED, "code": snomed[0], "display": snomed[1]})
    if atc:
        out.append({"system": ATC, "code": atc[0], "display": atc[1]})
    return out


# Units as clinics type them -> UCUM code (case and spaces as typed are folded first).
_UCUM = {
    "g/dl": "g/dL", "g/l": "g/L", "mg/dl": "mg/dL", "mg/l": "mg/L", "mmol/l": "mmol/L",
    "umol/l": "umol/L", "µmol/l": "umol/L", "μmol/l": "umol/L", "ng/ml": "ng/mL",
    "pg/ml": "pg/mL", "%": "%", "u/l": "U/L", "iu/l": "[IU]/L", "iu/ml": "[IU]/mL",
    "miu/ml": "m[IU]/mL", "cells/ul": "/uL", "cells/µl": "/uL", "cells/mm3": "/mm3",
    "/ul": "/uL", "/mm3": "/mm3", "10^9/l": "10*9/L", "x10^9/l": "10*9/L", "10^12/l": "10*12/L",
    "x10^12/l": "10*12/L", "copies/ml": "{copies}/mL", "mm": "mm", "mm/h": "mm/h",
    "mmhg": "mm[Hg]", "kg": "kg", "cm": "cm", "°c": "Cel", "fl": "fL", "pg": "pg",
    "ml/min": "mL/min", "mg": "mg", "g": "g",
}  # fmt: skip


def ucum(unit: str) -> str | None:
    """The UCUM code of a unit as typed ("g/dL", "cells/µL", "x10^9/L"), or None."""
    return _UCUM.get("".join((unit or "").split()).lower())
