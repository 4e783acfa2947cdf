"""The conditions under surveillance: a code list with case definitions (standard WHO
surveillance case definitions, shortened), the ICD-10 codes that count an encounter's
diagnosis as a case, and how each raises an alert.

Epidemic-prone diseases with a single case worth investigating alert on a fixed count;
endemic ones on the improved Farrington method (with its short-history fallback), each with
its own method options (:class:`~mhis.surveillance.detection.FarringtonSettings`: the trend
test level, the no-extrapolation rule and the low-count rule limit54). Every condition uses
the defaults today; a condition whose series behave differently gets its own here, e.g.
``settings=FarringtonSettings(limit54=(3, 4))`` for one whose every case matters more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from mhis.surveillance.detection import FarringtonSettings

THRESHOLD = "threshold"
STATISTICAL = "statistical"
DEFAULT_SETTINGS = FarringtonSettings()  # the defaults ADR 0028 weighs against R's advice


@dataclass(frozen=True)
class ConditionDef:
    code: str
    name: object  # lazy translation
    icd10: tuple[str, ...]  # code prefixes
    case_definition: object
    method: str
    threshold: int | None = None  # cases in a week that raise an alert (fixed method)
    # Statistical method's options (ADR 0007): trend level, no-extrapolation, limit54.
    settings: FarringtonSettings = DEFAULT_SETTINGS


CONDITIONS = (
    ConditionDef("cholera", _("Cholera"), ("A00",),
                 _("Suspected: acute watery diarrhoea with severe dehydration or death, in a "
                   "person aged 2 years or more; in an area with an outbreak, any acute watery "
                   "diarrhoea."), THRESHOLD, 1),
    ConditionDef("awd", _("Acute watery diarrhoea"), ("A09", "K52", "A08"),
                 _("Three or more loose or watery stools in 24 hours, without visible blood."),
                 STATISTICAL),
    ConditionDef("bloody_diarrhoea", _("Acute bloody diarrhoea"), ("A03", "A06"),
                 _("Diarrhoea with visible blood in the stool."), STATISTICAL),
    ConditionDef("measles", _("Measles"), ("B05",),
                 _("Fever and maculopapular rash with cough, runny nose or conjunctivitis, or any "
                   "person in whom a clinician suspects measles."), THRESHOLD, 1),
    ConditionDef("dengue", _("Dengue"), ("A90", "A91", "A97"),
                 _("Fever of 2–7 days with two of: nausea or vomiting, rash, aches and pains, "
                   "positive tourniquet test, leukopenia, a warning sign."), STATISTICAL),
    ConditionDef("malaria", _("Malaria"), ("B50", "B51", "B52", "B53", "B54"),
                 _("Fever with a positive rapid diagnostic test or blood film."), STATISTICAL),
    ConditionDef("tb", _("Tuberculosis"), ("A15", "A16", "A17", "A18", "A19"),
                 _("Presumptive: cough of two weeks or more, fever, night sweats or weight loss; "
                   "a case when bacteriologically confirmed or clinically diagnosed."),
                 STATISTICAL),
    ConditionDef("ili", _("Influenza-like illness"), ("J10", "J11", "J06"),
                 _("Acute respiratory infection with measured fever of 38 °C or more and cough, "
                   "onset within the last 10 days."), STATISTICAL),
    ConditionDef("jaundice", _("Acute jaundice syndrome"), ("B15", "B17", "R17"),
                 _("Acute onset of jaundice and severe illness, without known predisposing "
                   "factors."), STATISTICAL),
    ConditionDef("afp", _("Acute flaccid paralysis"), ("A80", "G61", "G83.9"),
                 _("Any child under 15 years with acute flaccid paralysis, or any person of any "
                   "age in whom a clinician suspects polio."), THRESHOLD, 1),
    ConditionDef("meningitis", _("Meningitis"), ("A39", "G00", "G03"),
                 _("Sudden fever of 38.5 °C or more with neck stiffness, altered consciousness "
                   "or another meningeal sign."), THRESHOLD, 2),
    ConditionDef("scabies", _("Scabies"), ("B86",),
                 _("Itching papular rash in typical places, or itching with a household contact "
                   "who itches."), STATISTICAL),
    ConditionDef("diphtheria", _("Diphtheria"), ("A36",),
                 _("Laryngitis, pharyngitis or tonsillitis with an adherent membrane of the "
                   "tonsils, pharynx or nose."), THRESHOLD, 1),
    ConditionDef("covid19", _("COVID-19"), ("U07.1", "U07.2"),
                 _("Acute fever and cough, or three or more of the listed symptoms, with a "
                   "positive test or an epidemiological link."), STATISTICAL),
)  # fmt: skip

BY_CODE = {c.code: c for c in CONDITIONS}
