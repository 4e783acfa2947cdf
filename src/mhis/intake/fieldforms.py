"""The field forms (XLSForm, for ODK Collect and KoboToolbox) and how their submissions become
import rows.

Each form is defined here once: its questions carry the names of the import kind's fields,
and its choice lists are the codes the services accept (sex, topics, vaccines, conditions,
countries…), so a submission goes through the same pipeline and the same checks as a file
or a page. Labels are in English, Spanish, Thai, Burmese and Khmer: the English of the codes,
the others from `data/field_form_labels.toml` (country names from pycountry's catalogues).
A repeat group (vaccinations at a clinic visit, the cases of a weekly report) becomes child
rows of its own kind, inheriting the person, site and date of their submission.
"""

from __future__ import annotations

import gettext
import hashlib
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pycountry
from django.utils import translation

from mhis.care.contracts import ImmunisationInput
from mhis.care.vaccines import VACCINES
from mhis.contracts import choices_of, range_of
from mhis.downloads import append
from mhis.outreach.contracts import ContactInput, SessionInput
from mhis.registry.codes import IdentifierType, MigrationStatus, OccupationSector, Sex
from mhis.surveillance import models as surveillance
from mhis.surveillance.conditions import CONDITIONS

LANGUAGES = (("en", "English"), ("es", "Español"), ("th", "ไทย"), ("my", "မြန်မာ"), ("km", "ខ្មែរ"))
LABELS_FILE = Path(__file__).parent / "data" / "field_form_labels.toml"
# Languages of health promotion material, named in their own language.
MATERIAL_LANGUAGES = {
    "my": "မြန်မာ", "ksw": "ကညီ", "shn": "တႆး", "th": "ไทย", "km": "ខ្មែរ", "lo": "ລາວ",
    "vi": "Tiếng Việt", "si": "සිංහල", "ta": "தமிழ்", "ne": "नेपाली", "bn": "বাংলা",
    "en": "English", "es": "Español", "fr": "Français",
}  # fmt: skip


@dataclass(frozen=True)
class Question:
    name: str  # the import kind's field
    type: str  # an XLSForm type: text, integer, date, select_one <list>, calculate
    label: str = ""  # English; the other languages from the labels file
    required: bool = False
    constraint: str = ""
    calculation: str = ""
    constraint_message: str = ""  # English; shown when the constraint fails
    hint: str = ""  # English
    relevant: str = ""  # asked only when this XPath holds (it depends on another answer)


@dataclass(frozen=True)
class Repeat:
    name: str
    label: str
    kind: str  # the import kind of each repeat instance
    questions: tuple[Question, ...]
    inherit: tuple[str, ...] = ()  # fields taken from the submission (person, site, date)


@dataclass(frozen=True)
class FieldForm:
    form_id: str
    title: str
    kind: str | None  # the kind of the submission itself (None: only its repeats are records)
    questions: tuple[Question | Repeat, ...]
    key: str = ""  # a question whose answer keys the record (else the instance id)
    instance_name: str = ""  # how ODK Collect, Central and Kobo name each submission

    @property
    def repeats(self) -> list[Repeat]:
        return [q for q in self.questions if isinstance(q, Repeat)]

    @property
    def fields(self) -> list[str]:
        return [q.name for q in self.questions if isinstance(q, Question)]


NOT_FUTURE = "The date cannot be in the future."
SITE = Question("site", "select_one site", "Site", required=True)
DATE = Question(
    "date", "date", "Date", required=True, constraint=". <= today()", constraint_message=NOT_FUTURE
)
WORKER = Question("worker", "text", "Worker or volunteer code")
CORNER = Question("corner", "text", "Health corner code (if any)")
COUNT = "integer"
NOT_NEGATIVE = ". >= 0 and . <= 10000"


def within(contract, name: str) -> str:
    """The XLSForm constraint of a whole number: the range its contract takes."""
    low, high = range_of(contract, name)
    return f". >= {low} and . <= {high}"


def between(contract, name: str) -> str:
    """The constraint message of `within`."""
    low, high = range_of(contract, name)
    return f"A whole number from {low} to {high}."


FORMS = {
    f.form_id: f
    for f in (
        FieldForm(
            "mhis_registration",
            "MHIS registration",
            "people",
            (
                Question("card", "text", "Registration card number", required=True),
                Question("registration_site", "select_one site", "Site", required=True),
                Question("name", "text", "Full name, as the person writes it", required=True),
                Question("latin_name", "text", "Name in Latin letters"),
                Question("sex", "select_one sex", "Sex", required=True),
                Question(
                    "birth_date",
                    "date",
                    "Date of birth",
                    constraint=". <= today()",
                    constraint_message=NOT_FUTURE,
                    hint="Leave empty if not known.",
                ),
                Question("nationality", "select_one country", "Nationality"),
                Question(
                    "languages",
                    "select_multiple material_language",
                    "Languages spoken",
                    hint="Choose every language the person speaks.",
                ),
                Question("contact", "text", "Telephone or other contact"),
                Question("identifier_type", "select_one identifier_type", "Identity document"),
                Question(
                    "identifier_value",
                    "text",
                    "Document number",
                    required=True,
                    relevant="${identifier_type} != ''",
                    hint="As written on the document.",
                ),
                Question(
                    "migration_status",
                    "select_one migration_status",
                    "Migration status (optional; never needed for care)",
                ),
                Question("origin_country", "select_one country", "Country of origin"),
                Question("destination_country", "select_one country", "Country of destination"),
                Question("occupation_sector", "select_one occupation_sector", "Work sector"),
            ),
            key="card",
            instance_name="concat(${card}, ' ', ${name})",
        ),
        FieldForm(
            "mhis_outreach_contact",
            "MHIS outreach contact",
            "contacts",
            (
                SITE,
                WORKER,
                CORNER,
                DATE,
                Question("sex", "select_one sex", "Sex"),
                Question("age_group", "select_one age_group", "Age group"),
                Question("topic", "select_one topic", "Topic", required=True),
                Question("referred", "select_one yes_no", "Referred to a health service?"),
                Question(
                    "person",
                    "text",
                    "MHIS id of the person (if registered)",
                    hint="On the person's MHIS card; leave empty if not registered.",
                ),
            ),
            instance_name="concat(${site}, ' ', ${date}, ' ', ${topic})",
        ),
        FieldForm(
            "mhis_health_session",
            "MHIS health promotion session",
            "sessions",
            (
                SITE,
                CORNER,
                WORKER,
                DATE,
                Question("topic", "select_one topic", "Topic", required=True),
                Question("language", "select_one material_language", "Language of the material"),
                Question(
                    "females",
                    COUNT,
                    "Women and girls",
                    required=True,
                    constraint=within(SessionInput, "females"),
                    constraint_message=between(SessionInput, "females"),
                ),
                Question(
                    "males",
                    COUNT,
                    "Men and boys",
                    required=True,
                    constraint=within(SessionInput, "males"),
                    constraint_message=between(SessionInput, "males"),
                ),
                Question(
                    "others",
                    COUNT,
                    "Others or not recorded",
                    constraint=within(SessionInput, "others"),
                    constraint_message=between(SessionInput, "others"),
                ),
                Question("notes", "text", "Notes"),
            ),
            instance_name="concat(${site}, ' ', ${date}, ' ', ${topic})",
        ),
        FieldForm(
            "mhis_clinic_visit",
            "MHIS mobile clinic visit",
            "encounters",
            (
                Question(
                    "person",
                    "text",
                    "Person: MHIS id or registration number",
                    required=True,
                    hint="As on the person's card.",
                ),
                SITE,
                DATE,
                Question("kind", "calculate", calculation="'mobile_clinic'"),
                Question("reason", "text", "Reason for the visit"),
                Question(
                    "diagnoses",
                    "text",
                    "Diagnoses (ICD-10 codes, separated by spaces)",
                    hint="For example: A97.0 J06.9",
                    constraint="regex(., '^[A-Za-z][0-9][0-9A-Za-z.]*( +[A-Za-z][0-9][0-9A-Za-z.]*)*$')",
                    constraint_message="ICD-10 codes such as A97.0 or J06.9, separated by spaces.",
                ),
                Question("treatments", "text", "Treatment given"),
                Repeat(
                    "vaccination",
                    "Vaccinations given",
                    "immunisations",
                    (
                        Question("vaccine", "select_one vaccine", "Vaccine", required=True),
                        Question(
                            "dose_number",
                            COUNT,
                            "Dose number",
                            required=True,
                            constraint=within(ImmunisationInput, "dose_number"),
                            constraint_message=between(ImmunisationInput, "dose_number"),
                        ),
                        Question("lot", "text", "Lot number"),
                    ),
                    inherit=("person", "site", "date"),
                ),
            ),
            instance_name="concat(${person}, ' ', ${date})",
        ),
        FieldForm(
            "mhis_weekly_report",
            "MHIS weekly site report",
            None,
            (
                SITE,
                Question(
                    "week",
                    "text",
                    "ISO week (for example 2026-W47)",
                    required=True,
                    constraint="regex(., '^[0-9]{4}-W[0-9]{2}$')",
                    constraint_message="A year, -W and the week's two digits: 2026-W47.",
                ),
                Question("note", "text", "Notes"),
                Repeat(
                    "cases",
                    "Cases",
                    "weekly",
                    (
                        Question("condition", "select_one condition", "Condition", required=True),
                        Question("sex", "select_one case_sex", "Sex", required=True),
                        Question("age_group", "select_one age_band", "Age group", required=True),
                        Question(
                            "count",
                            COUNT,
                            "Number of cases",
                            required=True,
                            constraint=NOT_NEGATIVE,
                            constraint_message="A whole number from 0 to 10000.",
                        ),
                    ),
                    inherit=("site", "week", "note"),
                ),
            ),
            instance_name="concat(${site}, ' ', ${week})",
        ),
    )
}


@cache
def labels() -> dict[str, dict[str, str]]:
    with LABELS_FILE.open("rb") as f:
        return tomllib.load(f)


def _english(label) -> str:
    with translation.override("en"):
        return str(label)


def _coded(choices) -> list[tuple[str, str]]:
    return [(value, _english(label)) for value, label in choices]


@cache
def _country_names(language: str):
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def choice_lists(
    sites: Iterable[tuple[str, str]] = (),
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Each list: [(value, {language: label})]. Sites are (code, name), the name in every
    language."""
    coded = {
        "sex": _coded(Sex.choices),
        "case_sex": _coded(surveillance.Sex.choices),
        "age_group": _coded(choices_of(ContactInput, "age_group")),
        "age_band": _coded(surveillance.AgeGroup.choices),
        "topic": _coded(choices_of(ContactInput, "topic")),
        "yes_no": [("yes", "Yes"), ("no", "No")],
        "identifier_type": _coded(IdentifierType.choices),
        "migration_status": _coded(MigrationStatus.choices),
        "occupation_sector": _coded(OccupationSector.choices),
        "vaccine": [
            (code, _english(VACCINES[code][0]))
            for code, _c in choices_of(ImmunisationInput, "vaccine")
        ],
        "condition": [(c.code, _english(c.name)) for c in CONDITIONS],
    }
    table = labels()
    out: dict[str, list] = {}
    for name, items in coded.items():
        out[name] = [(value, {"en": en, **table.get(en, {})}) for value, en in items]
    out["material_language"] = [
        (code, dict.fromkeys(dict(LANGUAGES), own)) for code, own in MATERIAL_LANGUAGES.items()
    ]
    out["country"] = [
        (
            c.alpha_2,
            {
                "en": c.name,
                **{lang: _country_names(lang).gettext(c.name) for lang, _n in LANGUAGES[1:]},
            },
        )
        for c in sorted(pycountry.countries, key=lambda c: c.name)
    ]
    out["site"] = [(code, dict.fromkeys(dict(LANGUAGES), name)) for code, name in sites]
    return out


def missing_labels() -> list[tuple[str, str]]:
    """(English label, language) pairs with no translation: questions and coded choices."""
    table = labels()
    wanted = set()
    for form in FORMS.values():
        for q in _all_questions(form):
            if q.label:
                wanted.add(q.label)
    for name, items in choice_lists().items():
        if name not in ("country", "site", "material_language"):
            wanted.update(label["en"] for _v, label in items)
    return sorted(
        (en, lang) for en in wanted for lang, _n in LANGUAGES[1:] if not table.get(en, {}).get(lang)
    )


def _all_questions(form: FieldForm) -> list[Question]:
    out = []
    for q in form.questions:
        out += (
            [*list(q.questions), Question(q.name, "repeat", q.label)]
            if isinstance(q, Repeat)
            else [q]
        )
    return out


def questions_of(form: FieldForm) -> list[Question]:
    """Every question of the form, those of its repeat groups included."""
    return [q for q in _all_questions(form) if q.type != "repeat"]


def label_texts(label: str) -> set[str]:
    """An English label and its translations."""
    return {label, *labels().get(label, {}).values()}


def _label_columns(label: str) -> list[str]:
    table = labels().get(label, {})
    return [label if lang == "en" else table.get(lang, label) for lang, _n in LANGUAGES]


def _content(form: FieldForm, sites: list[tuple[str, str]]):
    """The form's survey rows, choices rows and settings (but its version), as written."""
    label_headers = [f"label::{name} ({code})" for code, name in LANGUAGES]
    hint_headers = [f"hint::{name} ({code})" for code, name in LANGUAGES]
    message_headers = [f"constraint_message::{name} ({code})" for code, name in LANGUAGES]
    blank = [""] * len(LANGUAGES)
    survey = [["type", "name", *label_headers, *hint_headers, "required", "relevant",
               "constraint", *message_headers, "calculation"]]  # fmt: skip
    lists = set()

    def question(q: Question):
        kind = q.type
        if kind == "select_one site" and not sites:
            kind = "text"
        if kind.startswith(("select_one ", "select_multiple ")):
            lists.add(kind.split()[1])
        survey.append(
            [
                kind,
                q.name,
                *(_label_columns(q.label) if q.label else blank),
                *(_label_columns(q.hint) if q.hint else blank),
                "yes" if q.required else "",
                q.relevant,
                q.constraint,
                *(_label_columns(q.constraint_message) if q.constraint_message else blank),
                q.calculation,
            ]
        )

    for item in form.questions:
        if isinstance(item, Repeat):
            survey.append(["begin_repeat", item.name, *_label_columns(item.label)]
                          + [""] * (len(survey[0]) - 2 - len(LANGUAGES)))  # fmt: skip
            for q in item.questions:
                question(q)
            survey.append(["end_repeat", item.name] + [""] * (len(survey[0]) - 2))
        else:
            question(item)
    choices = [["list_name", "name", *label_headers]]
    all_lists = choice_lists(sites)
    for name in sorted(lists):
        for value, by_language in all_lists[name]:
            choices.append(
                [name, value, *[by_language.get(code, by_language["en"]) for code, _n in LANGUAGES]]
            )
    settings = {
        "form_title": form.title,
        "form_id": form.form_id,
        "default_language": "English (en)",
        "instance_name": form.instance_name,
    }
    return survey, choices, settings


def version(form: FieldForm, sites: Iterable[tuple[str, str]] = ()) -> str:
    """The form's version: a digest of what the workbook holds (questions, labels in every
    language, choices, sites, settings), so any change makes a new version, as ODK Central
    requires of a form's update, and the same form written twice keeps its version."""
    content = json.dumps(_content(form, list(sites)), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def workbook(form: FieldForm, sites: Iterable[tuple[str, str]] = ()):
    """The form as an XLSForm workbook (openpyxl). Without sites, the site is typed as text.
    Cells are written through `mhis.downloads`: a site's name cannot become a formula."""
    from openpyxl import Workbook

    sites = list(sites)
    survey_rows, choice_rows, settings_ = _content(form, sites)
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in survey_rows:
        append(survey, row)
    choices = book.create_sheet("choices")
    for row in choice_rows:
        append(choices, row)
    settings = book.create_sheet("settings")
    settings_["version"] = version(form, sites)
    append(settings, list(settings_))
    append(settings, list(settings_.values()))
    return book


def write(form: FieldForm, path: Path, sites: Iterable[tuple[str, str]] = ()) -> Path:
    workbook(form, sites).save(path)
    return path


# -- submissions ------------------------------------------------------------------------------


@dataclass
class Submission:
    key: str  # the submission as a whole: its first instance id (uuid:…), the row's source key
    values: dict[str, str] = field(default_factory=dict)
    repeats: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # Other ids it was known by: this version's instance id and the one it replaced (an edit).
    aliases: tuple[str, ...] = ()
    left_out: str = ""  # why it is not imported (its review state), if it is not
    version: str = ""  # this version's own instance id (uuid:…)
    replaces: str = ""  # the instance id of the version this edit replaced (deprecatedID)


def rows_by_kind(
    form: FieldForm, submissions: Iterable[Submission]
) -> dict[str, list[dict[str, str]]]:
    """The import rows of each kind the submissions hold: the submission's own (keyed by its
    instance id, or the form's key question) and one per repeat instance (keyed by the
    instance id, the group and its position)."""
    out: dict[str, list[dict[str, str]]] = {}
    if form.kind:
        out[form.kind] = []
    for repeat in form.repeats:
        out.setdefault(repeat.kind, [])
    for sub in submissions:
        if sub.left_out:
            continue
        if form.kind:
            row = {name: sub.values.get(name, "") for name in form.fields if name != form.key}
            key = sub.values.get(form.key, "") if form.key else sub.key
            out[form.kind].append({"source_key": key, **row})
        for repeat in form.repeats:
            for i, child in enumerate(sub.repeats.get(repeat.name, []), start=1):
                row = {q.name: child.get(q.name, "") for q in repeat.questions}
                row.update({name: sub.values.get(name, "") for name in repeat.inherit})
                out[repeat.kind].append({"source_key": f"{sub.key}/{repeat.name}/{i}", **row})
    return out
