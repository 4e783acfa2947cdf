"""The demo portfolio: the programmes of the seed documents as projects, with their partners,
results, events, coordination bodies, publications and promising practices.

Facts (titles, dates, places, partners, the numbers trained and reached) come from the
programme documents; where they give none (most budgets, exact days), the figures here are
illustrative and marked so in the code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from mhis.places.models import Place
from mhis.programmes import codes
from mhis.programmes.models import (
    ActionItem,
    ActionPlan,
    Attendance,
    Body,
    Budget,
    DocumentLink,
    Event,
    ExchangeRate,
    Membership,
    Organisation,
    Participation,
    Practice,
    Project,
    Publication,
    Result,
    ResultIndicator,
    ResultPeriod,
    WorkplanActivity,
)

ORGANISATIONS = [
    # name, IATI ref, type, country
    ("International Organization for Migration", "XM-DAC-47066", "40", ""),
    ("IOM Development Fund", "", "40", ""),
    ("United States Agency for International Development", "US-GOV-1", "10", "US"),
    ("European Commission", "XI-IATI-EC_INTPA", "15", ""),
    ("United Nations Trust Fund for Human Security", "", "40", ""),
    ("World Health Organization", "XM-DAC-928", "40", ""),
    ("Pan American Health Organization", "XM-DAC-41143", "40", ""),
    ("Joint United Nations Programme on HIV/AIDS", "XM-DAC-41110", "40", ""),
    ("International Labour Organization", "XM-DAC-41302", "40", ""),
    ("Interagency Coordination Platform for Refugees and Migrants", "", "40", ""),
    ("Local Health System Sustainability Project", "", "70", ""),
    ("Interagency Intersectoral Board of Health and Migration (MIISM)", "", "10", "HN"),
    ("Ministry of Public Health, Thailand", "", "10", "TH"),
    ("Ministry of Health, Sri Lanka", "", "10", "LK"),
    ("Ministry of Health, Cambodia", "", "10", "KH"),
    ("International Health Policy Program, Thailand", "", "80", "TH"),
    ("Health Strategy and Policy Institute, Viet Nam", "", "10", "VN"),
]


def _org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def _project(
    code,
    title,
    kind,
    status,
    start,
    end,
    coverage,
    region,
    countries,
    themes,
    gcm,
    description,
    funders,
    budgets,
    language="en",
):
    project = Project.objects.create(
        code=code,
        title=title,
        type=kind,
        status=status,
        coverage=coverage,
        region=region,
        countries=countries,
        themes=themes,
        gcm_objectives=gcm,
        description=description,
        language=language,
        **(
            {"actual_start": start, "actual_end": end}
            if status == "4"
            else {"actual_start": start, "planned_end": end}
        ),
    )
    Participation.objects.create(
        project=project,
        organisation=_org("International Organization for Migration"),
        role=codes.Role.ACCOUNTABLE,
    )
    for funder in funders:
        Participation.objects.create(
            project=project, organisation=_org(funder), role=codes.Role.FUNDING
        )
    for year, amount, currency in budgets:
        Budget.objects.create(
            project=project,
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            amount=Decimal(amount),
            currency=currency,
            value_date=date(year, 1, 1),
        )
    return project


def _indicator(project, result_type, result_title, title, periods, **kwargs):
    result, _ = Result.objects.get_or_create(project=project, type=result_type, title=result_title)
    indicator = ResultIndicator.objects.create(result=result, title=title, **kwargs)
    for start, end, target, actual in periods:
        ResultPeriod.objects.create(
            indicator=indicator,
            start=start,
            end=end,
            target=None if target is None else Decimal(target),
            actual=None if actual is None else Decimal(actual),
        )
    return indicator


@transaction.atomic
def build_programmes() -> dict[str, int]:
    for name, ref, kind, country in ORGANISATIONS:
        Organisation.objects.create(name=name, ref=ref, type=kind, country=country)
    # Rates to US dollars (illustrative, near the yearly averages of the time).
    for currency, on, rate in (
        ("EUR", date(2004, 1, 1), "1.24"),
        ("EUR", date(2006, 1, 1), "1.26"),
        ("JPY", date(2005, 1, 1), "0.0091"),
        ("THB", date(2024, 1, 1), "0.0284"),
    ):
        ExchangeRate.objects.create(currency=currency, on=on, rate=Decimal(rate))

    central_america = _project(
        "MA.0293",
        "Strengthening the Governments' Capacity in El Salvador, Nicaragua, Honduras and Guatemala to Address the Health of Migrants through a Multi-sector Approach",
        codes.ProjectType.PROMOTION,
        codes.Status.CLOSED,
        date(2013, 1, 1),
        date(2015, 12, 31),
        codes.Coverage.REGIONAL,
        "Latin America and the Caribbean",
        ["SV", "HN", "GT", "NI"],
        ["capacity", "coordination", "workforce"],
        [15],
        "An in-depth assessment of migrants' health vulnerabilities in the four countries, including "
        "irregular migrants, returnees and families fragmented by migration; national strategic action "
        "plans with the Ministries of Health of El Salvador, Nicaragua and Honduras; consultations within "
        "COMISCA and RESSCARD; and evidence-based training of health providers in migrant-friendly "
        "services, with attention to mental health and psychosocial support, culture and gender.",
        ["IOM Development Fund"],
        [(2013, "300000", "USD")],  # the seed's budget, in 2013
    )
    _indicator(
        central_america,
        codes.ResultType.OUTPUT,
        "National strategic action plans on the health of migrants",
        "Countries with a national strategic action plan",
        [(date(2015, 1, 1), date(2015, 12, 31), "3", "3")],
    )

    lhss = _project(
        "LHSS-HN",
        "Social health protection for women in high-migration contexts in Honduras",
        codes.ProjectType.POLICY,
        codes.Status.IMPLEMENTATION,
        date(2022, 10, 1),
        date(2026, 9, 30),
        codes.Coverage.NATIONAL,
        "Latin America and the Caribbean",
        ["HN"],
        ["social_protection", "access", "coordination"],
        [15],
        "Enhance social health protection mechanisms that increase access to high-quality health services "
        "for migrant women, and increase awareness of efforts to expand that protection.",
        ["United States Agency for International Development"],
        [(2023, "450000", "USD"), (2024, "450000", "USD")],  # illustrative
    )
    for partner in (
        "Pan American Health Organization",
        "Joint United Nations Programme on HIV/AIDS",
        "Interagency Coordination Platform for Refugees and Migrants",
    ):
        Participation.objects.create(
            project=lhss, organisation=_org(partner), role=codes.Role.EXTENDING
        )
    Participation.objects.create(
        project=lhss,
        organisation=_org("Local Health System Sustainability Project"),
        role=codes.Role.IMPLEMENTING,
    )
    _indicator(
        lhss,
        codes.ResultType.OUTCOME,
        "Social health protection roadmap adopted",
        "Roadmap validated by the interagency board",
        [(date(2023, 1, 1), date(2023, 12, 31), "1", "1")],
    )
    _indicator(
        lhss,
        codes.ResultType.OUTPUT,
        "Awareness of social health protection for migrant women",
        "People reached by the regional newsletter",
        [(date(2023, 1, 1), date(2023, 12, 31), "250", "290")],
    )
    honduras = Place.objects.filter(code="HN").first()
    _indicator(
        lhss,
        codes.ResultType.OUTCOME,
        "Migrant women covered by social health protection",
        "Share of migrant women enrolled in social health protection (from the records)",
        [
            (date(2025, 1, 1), date(2025, 12, 31), "50", None),
            (date(2026, 1, 1), date(2026, 12, 31), "65", None),
        ],
        # The linked indicator is a percentage: so are the targets.
        measure=codes.Measure.PERCENTAGE,
        mhis_indicator="SHP_ENROLMENT_MIGRANT_WOMEN",
        place=honduras,
    )
    Publication.objects.create(
        project=lhss,
        kind=codes.PublicationKind.NEWSLETTER,
        title="Insights: Migration and Health in Latin America and the Caribbean (two seasonal issues)",
        date=date(2023, 6, 1),
        language="en",
        subscribers=290,
        reached=290,
    )
    Publication.objects.create(
        project=lhss,
        kind=codes.PublicationKind.ROADMAP,
        title="Hoja de ruta para el fortalecimiento de la protección social en salud de mujeres y niñez en contextos de alta migración en Honduras",
        date=date(2023, 3, 1),
        language="es",
    )
    board = Body.objects.create(
        name="Interagency Intersectoral Board of Health and Migration (MIISM)",
        kind=codes.BodyKind.INTERAGENCY,
        country="HN",
    )
    board.projects.add(lhss)
    for member in (
        "Interagency Intersectoral Board of Health and Migration (MIISM)",
        "International Organization for Migration",
        "Pan American Health Organization",
        "Joint United Nations Programme on HIV/AIDS",
    ):
        Membership.objects.create(body=board, organisation=_org(member))

    thailand = _project(
        "TH-MHP",
        "Improving Health Conditions of Migrants and Thai Host Communities",
        codes.ProjectType.PROMOTION,
        codes.Status.CLOSED,
        date(2003, 1, 1),
        date(2008, 12, 31),
        codes.Coverage.NATIONAL,
        "Asia and the Pacific",
        ["TH"],
        ["access", "workforce", "surveillance"],
        [15],
        "With the Ministry of Public Health: projects in Tak and Chiang Rai (USAID, 2003–2006), Mae Fah Luang "
        "(European Commission, 2004–2007), Ranong and Samutsakorn (UN Trust Fund for Human Security, "
        "2005–2008), and Ranong, Phang Nga and Phuket (WHO, Ireland and OCHA, 2005–2006).",
        [
            "United States Agency for International Development",
            "European Commission",
            "United Nations Trust Fund for Human Security",
            "World Health Organization",
        ],
        [
            (2004, "400000", "USD"),
            (2005, "350000", "EUR"),
            (2006, "30000000", "JPY"),
        ],  # illustrative
    )
    Participation.objects.create(
        project=thailand,
        organisation=_org("Ministry of Public Health, Thailand"),
        role=codes.Role.IMPLEMENTING,
    )
    _indicator(
        thailand,
        codes.ResultType.OUTPUT,
        "Community health workforce trained",
        "Community health workers trained",
        [(date(2003, 1, 1), date(2008, 12, 31), "100", "111")],
    )
    _indicator(
        thailand,
        codes.ResultType.OUTPUT,
        "Community health workforce trained",
        "Community health volunteers trained",
        [(date(2003, 1, 1), date(2008, 12, 31), "1200", "1321")],
    )
    _indicator(
        thailand,
        codes.ResultType.OUTPUT,
        "Migrant-friendly services",
        "Migrant health corners in workplaces",
        [(date(2003, 1, 1), date(2008, 12, 31), None, "39")],
    )
    _indicator(
        thailand,
        codes.ResultType.OUTCOME,
        "Migrants reached",
        "Migrants reached by health promotion in a year",
        [(date(2007, 1, 1), date(2007, 12, 31), "50000", "55000")],
    )
    for kind, title, start, role, count in (
        (
            "training",
            "Community health worker training, Tak and Ranong",
            date(2005, 3, 1),
            "chw",
            111,
        ),
        (
            "training",
            "Community health volunteer training, border provinces",
            date(2006, 2, 1),
            "volunteer",
            1321,
        ),
    ):
        event = Event.objects.create(
            project=thailand, kind=kind, title=title, start=start, end=start, country="TH"
        )
        Attendance.objects.create(event=event, country="TH", sex="unknown", role=role, count=count)
    outreach = _project(
        "TH-OUT-2025",
        "Migrant health corners and outreach in Tak and Ranong",
        codes.ProjectType.PROMOTION,
        codes.Status.IMPLEMENTATION,
        date(2025, 1, 1),
        date(2026, 12, 31),
        codes.Coverage.NATIONAL,
        "Asia and the Pacific",
        ["TH"],
        ["access"],
        [15],
        "Health corners, mobile clinics and volunteers along the Thai–Myanmar border (demo project).",
        [],
        [(2025, "6000000", "THB"), (2026, "6500000", "THB")],  # illustrative
    )
    _indicator(
        outreach,
        codes.ResultType.OUTCOME,
        "Migrants reached",
        "People reached by outreach (from the records)",
        [
            (date(2025, 1, 1), date(2025, 12, 31), "1000", None),
            (date(2026, 1, 1), date(2026, 12, 31), "1200", None),
        ],
        mhis_indicator="OUTREACH_REACHED",
        place=Place.objects.filter(code="TH").first(),
    )

    srilanka = _project(
        "LK-MHM",
        "Strengthening Migration Health Management in Sri Lanka",
        codes.ProjectType.POLICY,
        codes.Status.CLOSED,
        date(2010, 1, 1),
        date(2017, 12, 31),
        codes.Coverage.NATIONAL,
        "Asia and the Pacific",
        ["LK"],
        ["capacity", "coordination"],
        [15, 23],
        "Strengthened the Ministry of Health's capacity to promote and manage the health of internal, inbound "
        "and outbound migrants through policy and national programmes within inter-ministerial processes.",
        ["International Organization for Migration"],
        [(2012, "250000", "USD")],  # illustrative
    )
    _indicator(
        srilanka,
        codes.ResultType.OUTCOME,
        "Health return of refugees",
        "Sri Lankan refugees from India given a health return",
        [(date(2010, 1, 1), date(2017, 12, 31), None, "87000")],
    )
    for name, kind in (
        ("Migration Health Task Force, Sri Lanka", codes.BodyKind.TASK_FORCE),
        ("National Steering Committee on Migration Health, Sri Lanka", codes.BodyKind.STEERING),
    ):
        body = Body.objects.create(name=name, kind=kind, country="LK")
        body.projects.add(srilanka)
        Membership.objects.create(
            body=body, organisation=_org("Ministry of Health, Sri Lanka"), role="chair"
        )
        Membership.objects.create(
            body=body, organisation=_org("International Organization for Migration")
        )
    Event.objects.create(
        project=srilanka,
        kind=codes.EventKind.CONSULTATION,
        title="2nd Global Consultation on Migrant Health",
        start=date(2017, 2, 21),
        end=date(2017, 2, 23),
        venue="Colombo",
        country="LK",
    )

    _project(
        "KH-MHS",
        "Strengthening Migrant Health Structures & Services in Selected Border Provinces of Cambodia",
        codes.ProjectType.POLICY,
        codes.Status.CLOSED,
        date(2010, 1, 1),
        date(2011, 12, 31),
        codes.Coverage.NATIONAL,
        "Asia and the Pacific",
        ["KH"],
        ["capacity", "irregular"],
        [15],
        "Migrant health focal point and technical working meetings with the Ministry of Health and two "
        "Provincial Health Departments; a joint assessment of the health of returned irregular migrants "
        "in Svay Rieng and Banteay Meanchey.",
        ["IOM Development Fund"],
        [(2010, "100000", "USD")],  # illustrative
    )
    _project(
        "SA-3C",
        "Strengthening Government's Capacity of Three South Asian Countries",
        codes.ProjectType.POLICY,
        codes.Status.CLOSED,
        date(2012, 1, 1),
        date(2015, 12, 31),
        codes.Coverage.REGIONAL,
        "Asia and the Pacific",
        ["BD", "NP", "PK"],
        ["capacity", "coordination"],
        [15],
        "Assessments of migrants' health vulnerabilities, a regional consultation on a migration health "
        "agenda, and strategic action plans with the Ministries of Health of Bangladesh and Nepal and the "
        "Ministry of Human Resource Development of Pakistan.",
        ["IOM Development Fund"],
        [(2012, "200000", "USD")],  # illustrative
    )

    gcm = _project(
        "GCM-HEALTH",
        "GCM workstream on health: access to services and continuity of care",
        codes.ProjectType.POLICY,
        codes.Status.IMPLEMENTATION,
        date(2023, 1, 1),
        date(2024, 12, 31),
        codes.Coverage.GLOBAL,
        "",
        [],
        ["access", "coordination"],
        [15, 16, 19, 21],
        "Support the commitments of the IMRF Progress Declaration: access to health services and continuity of "
        "care regardless of migration status, in line with Universal Health Coverage.",
        [],
        [],
    )
    # Global work benefits no one country: IATI then needs a recipient region (OECD DAC
    # region 998, "developing countries, unspecified").
    gcm.regions = [{"code": "998", "vocabulary": "1", "percentage": ""}]
    gcm.save(update_fields=["regions"])
    for title, start, end in (
        (
            "Critical considerations and actions for safe access to basic services and continuity of care",
            date(2023, 1, 1),
            date(2023, 12, 31),
        ),
        (
            "Expand the compendium of promising practices in the Migration Hub",
            date(2023, 1, 1),
            date(2024, 12, 31),
        ),
        (
            "Dialogues with migrant groups on safe access to basic services",
            date(2023, 1, 1),
            date(2024, 12, 31),
        ),
        (
            "Two capacity-building events on public health in migration policies",
            date(2023, 1, 1),
            date(2024, 12, 31),
        ),
        (
            "Situation analyses of health emergencies' impact on mobility and health",
            date(2024, 1, 1),
            date(2024, 12, 31),
        ),
        (
            "Indicators for GCM objectives 15, 16, 19 and 21 with the indicators workstream",
            date(2023, 1, 1),
            date(2024, 12, 31),
        ),
    ):
        WorkplanActivity.objects.create(
            project=gcm,
            title=title,
            owner="GCM health workstream",
            planned_start=start,
            planned_end=end,
            status=codes.WorkStatus.ONGOING,
        )
    Event.objects.create(
        project=gcm,
        kind=codes.EventKind.MEETING,
        title="GCM Talk on Universal Health Coverage",
        start=date(2023, 5, 16),
        end=date(2023, 5, 16),
    )

    mekong = _project(
        "MEKONG-CONF",
        "Conference series on health care for migrants in the Mekong sub-region",
        codes.ProjectType.POLICY,
        codes.Status.CLOSED,
        date(2014, 3, 1),
        date(2014, 6, 30),
        codes.Coverage.REGIONAL,
        "Asia and the Pacific",
        ["KH", "LA", "MM", "TH", "VN"],
        ["coordination", "access"],
        [15],
        "Workshops on migration, policy, financing and health services for migrants in the five Mekong "
        "countries, to find financial protection mechanisms and raise commitment among policy makers.",
        ["United States Agency for International Development"],
        [],
    )
    Participation.objects.create(
        project=mekong,
        organisation=_org("International Health Policy Program, Thailand"),
        role=codes.Role.FUNDING,
    )
    mandalay = Event.objects.create(
        project=mekong,
        kind=codes.EventKind.WORKSHOP,
        title="Mekong conference on migrant health care, Mandalay",
        start=date(2014, 3, 23),
        end=date(2014, 3, 26),
        venue="Mandalay",
        country="MM",
        outcomes="Countries presented the state of health care for international migrants, "
        "a strategic framework for the challenges, and short- and long-term priorities.",
    )
    for country in ("KH", "LA", "MM", "TH", "VN"):
        Attendance.objects.create(
            event=mandalay, country=country, role=codes.ParticipantRole.OFFICIAL, count=4
        )
    for name in (
        "United States Agency for International Development",
        "International Health Policy Program, Thailand",
        "International Labour Organization",
        "World Health Organization",
    ):
        Attendance.objects.create(
            event=mandalay, organisation=_org(name), role=codes.ParticipantRole.PARTNER, count=2
        )
    plan = ActionPlan.objects.create(
        event=mandalay, country="VN", title="Viet Nam delegation's action plan"
    )
    for text in (
        "Strengthen commitment to protecting migrants through workshops that define the stakeholders' roles in health care for international migrants",
        "Strengthen the role and function of the focal agency",
        "Promote policies that ensure security for Vietnamese people working in countries with a cooperation agreement",
        "Promote friendly health care for free migrants in hospitals on the Viet Nam–Laos and Viet Nam–Cambodia borders",
    ):
        ActionItem.objects.create(plan=plan, text=text)
    Event.objects.create(
        project=mekong,
        kind=codes.EventKind.WORKSHOP,
        title="Mekong conference on migrant health care, Thailand",
        start=date(2014, 6, 1),
        end=date(2014, 6, 3),
        country="TH",
    )

    for title, country, theme, gcm_objective, language, description, evidence, project in (
        (
            "Permanent Migration Health Unit in the Ministry of Health",
            "LK",
            "coordination",
            15,
            "en",
            "A Migration Health Unit within the Directorate of Policy and Planning serves as the hub for inter-ministerial coordination, with a Migration Health Task Force and a National Steering Committee.",
            "National Migration Health Study; hosting of the 2nd Global Consultation on Migrant Health (2017).",
            srilanka,
        ),
        (
            "Community health workers and volunteers from migrant communities",
            "TH",
            "workforce",
            15,
            "en",
            "Migrant community health workers and volunteers trained with the Ministry of Public Health bring health promotion and referral into workplaces and communities.",
            "111 CHWs and 1,321 volunteers trained; over 55,000 migrants reached a year.",
            thailand,
        ),
        (
            "มุมสุขภาพแรงงานข้ามชาติในสถานประกอบการ",
            "TH",
            "access",
            15,
            "th",
            "มุมสุขภาพในสถานประกอบการให้ข้อมูลสุขภาพหลายภาษาแก่แรงงานข้ามชาติและส่งต่อไปยังสถานบริการ (migrant health corners in workplaces)",
            "39 migrant health corners established.",
            thailand,
        ),
        (
            "Hoja de ruta de protección social en salud para mujeres migrantes",
            "HN",
            "social_protection",
            15,
            "es",
            "La Mesa Interagencial Intersectorial de Salud y Migración validó una hoja de ruta de cuatro años para fortalecer la protección social en salud de mujeres y niñez en contextos de alta migración.",
            "Incorporada en el Plan Estratégico 2023-2026 de la Mesa.",
            lhss,
        ),
        (
            "Friendly health care for free migrants at border hospitals",
            "VN",
            "access",
            15,
            "en",
            "Hospitals on the Viet Nam–Laos and Viet Nam–Cambodia borders adapt services for seasonal and short-term migrants who cross without documents.",
            "Action plan of the Viet Nam delegation, Mandalay 2014.",
            mekong,
        ),
        (
            "Evaluación conjunta de la salud de migrantes retornados",
            "KH",
            "irregular",
            15,
            "es",
            "Evaluación conjunta con el Ministerio de Salud y dos departamentos provinciales de la salud de migrantes irregulares retornados en Svay Rieng y Banteay Meanchey.",
            "",
            None,
        ),
    ):
        Practice.objects.create(
            title=title,
            country=country,
            theme=theme,
            gcm_objective=gcm_objective,
            language=language,
            description=description,
            evidence=evidence,
            project=project,
            contact="ROBangkokMigrationHealth@iom.int",
        )
    DocumentLink.objects.create(
        project=central_america,
        title="MA.0293 project page",
        url="https://developmentfund.iom.int/projects",
        category="A01",
    )
    return {
        "projects": Project.objects.count(),
        "practices": Practice.objects.count(),
        "events": Event.objects.count(),
    }
