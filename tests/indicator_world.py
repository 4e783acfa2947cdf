"""A small world of known records in the first quarter of 2026, for checking indicators by hand.

Fourteen people at Thai sites: eight women (born 1990, Myanmar, regular labour migrants),
four men (born 2000, Myanmar, irregular) and two men (born 1970, Thai, host community).
Every number the tests expect is worked out in the comments of tests/test_indicator_pack.py.
"""

from __future__ import annotations

import datetime as dt

from mhis.care.models import (
    Assessment,
    Encounter,
    Immunisation,
    Referral,
    ReferralStep,
    SputumSpecimen,
)
from mhis.protection.models import Enrolment, Payment, Scheme
from mhis.registry.models import MigrationEpisode, Person

D = dt.date


def _person(site, name, sex, birth, nationality, status):
    person = Person.objects.create(
        registration_site=site,
        display_name=name,
        sex=sex,
        birth_date=birth,
        nationality=nationality,
    )
    MigrationEpisode.objects.create(person=person, status=status, start_date=D(2019, 1, 1))
    Person.objects.filter(pk=person.pk).update(
        created_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    )
    return person


def _specimens(assessment, collected, smears, cultures):
    for n, (smear, culture) in enumerate(zip(smears, cultures, strict=True), start=1):
        SputumSpecimen.objects.create(
            assessment=assessment,
            number=n,
            collected_on=collected,
            smear_result=smear,
            smear_reported_on=collected + dt.timedelta(days=2),
            culture_result=culture[0] if culture else "",
            culture_reported_on=culture[1] if culture else None,
        )


def build(world) -> dict:
    clinic, bridge, ranong = world["CLINIC"], world["BRIDGE"], world["RANONG"]
    w = [_person(clinic, f"W{i}", "female", D(1990, 5, 1), "MM", "REG_LAB") for i in range(1, 9)]
    m = [_person(clinic, f"M{i}", "male", D(2000, 3, 1), "MM", "IRR") for i in range(1, 5)]
    h = [_person(ranong, f"H{i}", "male", D(1970, 1, 1), "TH", "HOST") for i in range(1, 3)]

    # Assessments on 10 February 2026 at the clinic.
    def assess(person, **fields):
        fields.setdefault("completed_on", D(2026, 2, 20))
        return Assessment.objects.create(
            person=person, site=clinic, type="pre_departure", date=D(2026, 2, 10), **fields
        )

    a = {}
    a["W1"] = assess(w[0], xray_result="suggestive", dst_result="susceptible",
                     tb_classification="B1_PULM", completed_on=D(2026, 3, 30))  # fmt: skip
    _specimens(a["W1"], D(2026, 2, 11), ["negative"] * 3,
               [("mtb", D(2026, 3, 20)), ("negative", D(2026, 3, 25)),
                ("negative", D(2026, 3, 25))])  # fmt: skip
    a["W2"] = assess(w[1], xray_result="suggestive", tb_classification="A",
                     completed_on=D(2026, 3, 20))  # fmt: skip
    _specimens(a["W2"], D(2026, 2, 11), ["negative"] * 3, [("negative", D(2026, 3, 15))] * 3)
    a["W3"] = assess(w[2], xray_result="normal", rhs15_items=[1] * 14)
    a["W4"] = assess(w[3], xray_result="normal", rhs15_items=[0] * 14, rhs15_thermometer=2)
    for i in (4, 5, 6):
        a[f"W{i + 1}"] = assess(w[i], xray_result="normal")
    a["W8"] = assess(w[7], completed_on=None)
    a["M1"] = assess(m[0], xray_result="other_abnormal", tb_symptoms=True,
                     xpert_result="rif_detected", completed_on=None)  # fmt: skip
    _specimens(a["M1"], D(2026, 2, 11), ["negative"] * 2, [None, None])
    for i in (1, 2, 3):
        a[f"M{i + 1}"] = assess(m[i], xray_result="normal")

    # Encounters: every woman at the clinic on 15 January (W1 again on 1 March), the Myanmar
    # men at the bridge by the mobile clinic on 20 January, the Thai men at Ranong on 5 March.
    enc = {}
    for i, p in enumerate(w, start=1):
        enc[f"W{i}"] = Encounter.objects.create(
            person=p, site=clinic, kind="consultation", date=D(2026, 1, 15)
        )
    Encounter.objects.create(person=w[0], site=clinic, kind="consultation", date=D(2026, 3, 1))
    for i, p in enumerate(m, start=1):
        enc[f"M{i}"] = Encounter.objects.create(
            person=p, site=bridge, kind="mobile_clinic", date=D(2026, 1, 20)
        )
    for i, p in enumerate(h, start=1):
        enc[f"H{i}"] = Encounter.objects.create(
            person=p, site=ranong, kind="consultation", date=D(2026, 3, 5)
        )

    scheme = Scheme.objects.create(code="TH-MHI", name="Migrant health insurance", country="TH",
                                   type="migrant")  # fmt: skip
    for p in w[:6]:
        Enrolment.objects.create(person=p, scheme=scheme, site=clinic, start_date=D(2025, 1, 1),
                                 member_number="X1")  # fmt: skip
    Enrolment.objects.create(person=m[0], scheme=scheme, site=clinic, start_date=D(2026, 2, 1),
                             member_number="X2")  # fmt: skip
    Enrolment.objects.create(person=h[0], scheme=scheme, site=ranong, start_date=D(2025, 6, 1),
                             member_number="X3")  # fmt: skip
    payers = {"W1": "patient", "W2": "patient", "W3": "patient", "W4": "patient",
              "W5": "patient", "W6": "patient", "W7": "insurance", "W8": "insurance",
              "M1": "patient"}  # fmt: skip
    for who, payer in payers.items():
        Payment.objects.create(encounter=enc[who], amount=100, currency="THB", payer=payer,
                               paid_on=enc[who].date)  # fmt: skip

    # Referrals sent on 15 February from the clinic.
    def refer(person, closed_after, **fields):
        referral = Referral.objects.create(
            person=person, site=clinic, reason="x", sent_on=D(2026, 2, 15),
            due_on=D(2026, 3, 15), **fields,
        )  # fmt: skip
        if closed_after is not None:
            closed = D(2026, 2, 15) + dt.timedelta(days=closed_after)
            Referral.objects.filter(pk=referral.pk).update(
                status="closed", attended_on=D(2026, 2, 25), closed_on=closed
            )
            ReferralStep.objects.create(referral=referral, status="closed", on=closed)
        return referral

    refer(w[0], 14, kind="tb_continuation", to_site=world["MYAWADDY"], to_country="MM")
    refer(w[1], 30, kind="medical", to_site=ranong, to_country="TH")
    refer(m[0], None, kind="medical", to_facility="Myawaddy clinic", to_country="MM")

    # Doses: MR for W1–W6 at their assessment, Td for W1 at hers, MR for M2 on another day.
    for i, p in enumerate(w[:6], start=1):
        Immunisation.objects.create(person=p, site=clinic, vaccine="MR", dose_number=1,
                                    date=D(2026, 2, 10), assessment=a[f"W{i}"])  # fmt: skip
    Immunisation.objects.create(person=w[0], site=clinic, vaccine="TD", dose_number=1,
                                date=D(2026, 2, 10), assessment=a["W1"])  # fmt: skip
    Immunisation.objects.create(person=m[1], site=clinic, vaccine="MR", dose_number=1,
                                date=D(2026, 2, 12))  # fmt: skip
    return {"women": w, "irregular": m, "host": h, "assessments": a, "encounters": enc}
