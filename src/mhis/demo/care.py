"""Care and social health protection for the demo world, in the volumes the programmes report.

About 5% of people screened have a chest X-ray suggestive of TB (12,000 of 260,000 in 2014);
a small share of those are culture-confirmed. Recent assessments still wait for cultures (up to
8 weeks), so each site has pending work. Referrals cross the Thai–Myanmar and Cambodia–Thailand
borders; Honduran returnee women are enrolled in a protection scheme. Rows are collected per
batch of people and written in bulk after them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from mhis.care.models import (
    Assessment,
    Diagnosis,
    Encounter,
    Immunisation,
    Referral,
    ReferralStep,
    SputumSpecimen,
)
from mhis.places.models import Place
from mhis.protection.models import Enrolment, Payment, Scheme
from mhis.registry.models import Person, PersonSite

from . import world

SCHEMES = [
    ("HN-RET-WOMEN", "Coverage for returnee women", "HN", "programme"),
    ("TH-MIGRANT-HI", "Migrant health insurance", "TH", "migrant"),
    ("KH-HEF", "Health Equity Fund", "KH", "national"),
]
CURRENCY = {"TH": "THB", "MM": "MMK", "KH": "KHR", "HN": "HNL", "LK": "LKR", "NP": "NPR"}
VISIT_COST = {
    "THB": (200, 1500),
    "MMK": (5000, 40000),
    "KHR": (20000, 120000),
    "HNL": (150, 1200),
    "LKR": (1500, 9000),
    "NPR": (500, 4000),
}
COMMON_DIAGNOSES = [
    "J06.9",
    "A09",
    "I10",
    "E11.9",
    "K29.7",
    "M54.5",
    "L30.9",
    "F43.2",
    "J18.9",
    "N39.0",
    "R50.9",
    "T14.9",
]
MALARIA_AREAS = {"MM", "KH"}
# Where each site refers people: (receiving site, kind).
ROUTES = {
    "TH-MSOT-HOSP": [("MM-MWD-HOSP", "tb_continuation"), ("MM-MWD-HOSP", "medical")],
    "TH-MSOT-CLIN": [("TH-MSOT-HOSP", "medical"), ("MM-MWD-HOSP", "tb_continuation")],
    "TH-MSOT-MOBI": [("TH-MSOT-HOSP", "medical")],
    "TH-MAELA-CAMP": [("TH-MSOT-HOSP", "medical"), ("TH-MSOT-HOSP", "evacuation")],
    "MM-MWD-HOSP": [("TH-MSOT-HOSP", "medical")],
    "TH-SSK-HOSP": [("KH-POI-HC", "tb_continuation"), ("KH-SVR-HOSP", "medical")],
    "TH-SSK-FACT": [("TH-SSK-HOSP", "medical")],
    "TH-RNG-PORT": [("TH-RNG-HOSP", "medical")],
    "KH-POI-PTC": [("KH-POI-HC", "medical"), ("KH-SVR-HOSP", "medical")],
    "KH-BAV-BRDR": [("KH-SVR-HOSP", "medical")],
    "HN-OC-BRDR": [("HN-SPS-CLIN", "medical")],
    "HN-SPS-CAMR": [("HN-SPS-CLIN", "medical"), ("HN-TGU-HOSP", "medical")],
}
# flow → (share assessed, assessment type, destination programme)
ASSESSED = {
    id(world.LK_DEPARTING): (0.7, "pre_departure", "GEN"),
    id(world.NP_DEPARTING): (0.7, "pre_departure", "GEN"),
    id(world.MM_REFUGEES): (0.15, "pre_departure", "US"),
    id(world.MM_WORKERS): (0.25, "pre_employment", "GEN"),
    id(world.KH_WORKERS): (0.25, "pre_employment", "GEN"),
    id(world.LA_WORKERS): (0.25, "pre_employment", "GEN"),
    id(world.KH_RETURNEES): (0.15, "post_arrival", "GEN"),
    id(world.HN_RETURNEES): (0.2, "post_arrival", "GEN"),
}
CULTURE_DAYS = 56


def create_schemes() -> dict[str, Scheme]:
    return {
        code: Scheme.objects.create(code=code, name=name, country=country, type=kind)
        for code, name, country, kind in SCHEMES
    }


class CareBatch:
    def __init__(self):
        self.encounters: list[Encounter] = []
        self.diagnoses: list[Diagnosis] = []
        self.payments: list[Payment] = []
        self.assessments: list[Assessment] = []
        self.specimens: list[SputumSpecimen] = []
        self.immunisations: list[Immunisation] = []
        self.referrals: list[Referral] = []
        self.steps: list[ReferralStep] = []
        self.enrolments: list[Enrolment] = []
        self.site_links: list[PersonSite] = []

    def flush(self) -> None:
        """Write the rows (call inside the people batch's transaction, after the people)."""
        for rows in (
            self.encounters,
            self.assessments,
            self.immunisations,
            self.referrals,
            self.enrolments,
            self.site_links,
        ):
            for row in rows:
                row.person_id = row.person.pk
        for model, rows in (
            (Encounter, self.encounters),
            (Assessment, self.assessments),
            (Immunisation, self.immunisations),
            (Referral, self.referrals),
            (Enrolment, self.enrolments),
            (PersonSite, self.site_links),
        ):
            model.objects.bulk_create(rows, batch_size=1000)
        for model, rows, parent in (
            (Diagnosis, self.diagnoses, "encounter"),
            (Payment, self.payments, "encounter"),
            (SputumSpecimen, self.specimens, "assessment"),
            (ReferralStep, self.steps, "referral"),
        ):
            for row in rows:
                setattr(row, f"{parent}_id", getattr(row, parent).pk)
            model.objects.bulk_create(rows, batch_size=1000)
        self.__init__()


def add_care(
    batch: CareBatch,
    rng: random.Random,
    *,
    person: Person,
    flow,
    site: Place,
    sites: dict[str, Place],
    schemes: dict[str, Scheme],
    status: str,
    registered_on: date,
    today: date,
) -> None:
    """Care records for one newly registered person (duplicates get none)."""
    enrolment = _enrolment(batch, rng, person, flow, site, schemes, status, registered_on, today)
    share, kind, programme = ASSESSED.get(id(flow), (0, "", ""))
    if rng.random() < share:
        _assessment(batch, rng, person, site, kind, programme, status, registered_on, today)
    if rng.random() < 0.35:
        for _ in range(rng.choice((1, 1, 2, 3))):
            _encounter(batch, rng, person, site, status, enrolment, registered_on, today)
    if rng.random() < 0.15:
        vaccine = rng.choice(
            ["MR", "TD", "OCV", "HEPB", "COVID19"]
            if site.country_code in MALARIA_AREAS | {"TH"}
            else ["MR", "TD", "HEPB", "INFLUENZA", "COVID19"]
        )
        batch.immunisations.append(
            Immunisation(
                person=person,
                site=site,
                vaccine=vaccine,
                dose_number=1,
                lot=f"L{rng.randrange(10**5):05d}",
                date=min(today, registered_on + timedelta(days=rng.randrange(30))),
            )
        )
    if site.code in ROUTES and rng.random() < 0.04:
        _referral(batch, rng, person, site, sites, registered_on, today)


def _when(rng, start: date, today: date, spread: int) -> date:
    return min(today, start + timedelta(days=rng.randrange(spread)))


def _enrolment(batch, rng, person, flow, site, schemes, status, registered_on, today):
    code = None
    if flow is world.HN_RETURNEES and person.sex == "female" and rng.random() < 0.6:
        code = "HN-RET-WOMEN"
    elif site.country_code == "TH" and status == "REG_LAB" and rng.random() < 0.4:
        code = "TH-MIGRANT-HI"
    elif flow is world.KH_RETURNEES and rng.random() < 0.3:
        code = "KH-HEF"
    if code is None:
        return None
    start = _when(rng, registered_on, today, 60)
    end = start + timedelta(days=365) if rng.random() < 0.3 else None
    enrolment = Enrolment(
        person=person,
        scheme=schemes[code],
        site=site,
        start_date=start,
        end_date=end if end and end < today else None,
        member_number=f"{code[:2]}{rng.randrange(10**7):07d}",
    )
    batch.enrolments.append(enrolment)
    return enrolment


def _encounter(batch, rng, person, site, status, enrolment, registered_on, today):
    kind = (
        "mobile_clinic"
        if site.site_type == "mobile_clinic"
        else rng.choices(
            ["consultation", "psychosocial", "emergency"],
            [85, 10 if status in ("REF", "ASY", "VOT", "RET_INT") else 2, 5],
        )[0]
    )
    day = _when(rng, registered_on, today, 700)
    currency = CURRENCY[site.country_code]
    low, high = VISIT_COST[currency]
    covered = enrolment is not None and enrolment.covers(day)
    payer = (
        "insurance"
        if covered
        else rng.choices(["patient", "programme", "waived", "employer"], [45, 30, 20, 5])[0]
    )
    cost = Decimal(rng.randrange(low, high))
    encounter = Encounter(
        person=person,
        site=site,
        kind=kind,
        date=day,
        cost=cost,
        currency=currency,
        paid_by=payer,
        reason="" if kind != "psychosocial" else "Psychosocial support session",
    )
    batch.encounters.append(encounter)
    codes = (
        ["F43.2"] if kind == "psychosocial" else rng.sample(COMMON_DIAGNOSES, rng.choice((1, 1, 2)))
    )
    if site.country_code in MALARIA_AREAS and rng.random() < 0.05:
        codes = ["B54"]
    batch.diagnoses.extend(
        Diagnosis(encounter=encounter, code=c, primary=i == 0) for i, c in enumerate(codes)
    )
    if payer == "patient":
        batch.payments.append(
            Payment(
                encounter=encounter, amount=cost, currency=currency, payer="patient", paid_on=day
            )
        )
    elif payer == "insurance" and rng.random() < 0.3:
        co_payment = (cost * Decimal("0.2")).quantize(Decimal("1"))
        batch.payments.append(
            Payment(
                encounter=encounter,
                amount=co_payment,
                currency=currency,
                payer="patient",
                paid_on=day,
            )
        )


def _assessment(batch, rng, person, site, kind, programme, status, registered_on, today):
    day = _when(rng, registered_on, today, 10)
    a = Assessment(
        person=person,
        site=site,
        type=kind,
        date=day,
        programme=programme,
        destination_country="US" if programme == "US" else "",
        tb_symptoms=rng.random() < 0.03,
    )
    roll = rng.random()
    a.xray_result = "suggestive" if roll < 0.05 else "other_abnormal" if roll < 0.08 else "normal"
    a.xray_date = day
    a.hiv_result = rng.choices(["negative", "positive", "declined"], [97, 1, 2])[0]
    a.syphilis_result = rng.choices(["negative", "positive"], [98, 2])[0]
    a.hepatitis_b_result = rng.choices(["negative", "positive"], [94, 6])[0]
    if site.country_code in MALARIA_AREAS or status == "REF":
        a.malaria_result = rng.choices(["negative", "positive"], [97, 3])[0]
    if (
        person.sex == "female"
        and person.birth_date
        and 15 <= (day - person.birth_date).days // 365 <= 49
    ):
        a.pregnancy_result = rng.choices(["negative", "positive"], [94, 6])[0]
    if status in ("REF", "ASY", "VOT", "RET_INT", "IDP"):
        weights = (5, 3, 2, 1, 1) if rng.random() < 0.7 else (1, 2, 3, 3, 2)
        a.rhs15_items = [rng.choices(range(5), weights)[0] for _ in range(14)]
        a.rhs15_thermometer = rng.randrange(11)
    presumptive = a.xray_result == "suggestive" or a.tb_symptoms or a.hiv_result == "positive"
    confirmed = False
    cultures_back = (today - day).days > CULTURE_DAYS
    if presumptive:
        confirmed = rng.random() < 0.04
        for n in (1, 2, 3):
            collected = min(today, day + timedelta(days=n - 1))
            specimen = SputumSpecimen(
                assessment=a,
                number=n,
                collected_on=collected,
                smear_result=rng.choice(["1+", "scanty"]) if confirmed and n == 1 else "negative",
                smear_reported_on=min(today, collected + timedelta(days=2)),
            )
            if cultures_back:
                specimen.culture_result = "mtb" if confirmed and n < 3 else "negative"
                specimen.culture_reported_on = collected + timedelta(
                    days=rng.randrange(35, CULTURE_DAYS)
                )
            batch.specimens.append(specimen)
        if confirmed and cultures_back:
            a.dst_result = rng.choices(["susceptible", "rr", "mdr"], [90, 5, 5])[0]
            a.dst_date = day + timedelta(days=CULTURE_DAYS)
    if presumptive and not cultures_back:
        batch.assessments.append(a)  # waiting for cultures: pending
        return
    if programme == "US":
        a.tb_classification = "A" if confirmed else "B1_PULM" if presumptive else "NONE"
    else:
        a.tb_classification = "ACTIVE_BC" if confirmed else "NO_TB"
    if confirmed:
        a.tb_treatment = "ongoing"
        a.fit_to_travel, a.fit_reason = "temporarily_unfit", "Active TB: treatment started"
    else:
        a.fit_to_travel = "fit"
    a.completed_on = min(today, day + timedelta(days=CULTURE_DAYS + 5 if presumptive else 3))
    batch.assessments.append(a)


def _referral(batch, rng, person, site, sites, registered_on, today):
    target_code, kind = rng.choice(ROUTES[site.code])
    target = sites[target_code]
    sent = _when(rng, registered_on, today, 400)
    urgency = rng.choices(["routine", "urgent", "emergency"], [70, 25, 5])[0]
    due = sent + timedelta(days={"routine": 30, "urgent": 7, "emergency": 1}[urgency])
    referral = Referral(
        person=person,
        site=site,
        to_site=target,
        to_country=target.country_code,
        kind=kind,
        urgency=urgency,
        reason={
            "tb_continuation": "Continue TB treatment",
            "evacuation": "Medical evacuation",
            "medical": "Further care",
        }[kind],
        sent_on=sent,
        due_on=due,
    )
    steps = [("sent", sent)]
    age = (today - sent).days
    path = ["received", "attended", "closed"]
    if age > 60:
        end = rng.choices([3, 2, 1, 0, "lost"], [70, 10, 5, 5, 10])[0]
    else:
        end = rng.choice([0, 1, 1, 2])
    if end == "lost":
        steps.append(("lost", min(today, due + timedelta(days=30))))
    else:
        day = sent
        for status in path[:end]:
            day = min(today, day + timedelta(days=rng.randrange(1, 6)))
            steps.append((status, day))
    for status, day in steps[1:]:
        field = {
            "received": "received_on",
            "attended": "attended_on",
            "closed": "closed_on",
            "lost": "closed_on",
        }[status]
        setattr(referral, field, day)
    referral.status = steps[-1][0]
    batch.referrals.append(referral)
    batch.steps.extend(
        ReferralStep(referral=referral, status=status, on=day) for status, day in steps
    )
    batch.site_links.append(
        PersonSite(person=person, site=target, reason=PersonSite.Reason.REFERRED)
    )
