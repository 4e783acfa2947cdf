"""The places of the demo world: the corridors and sites of the programmes MHIS serves.

Each site carries the populations seen there: (weight, nationality, name culture, statuses,
destination countries, identifier type).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (code, name, ISO 3166-1 alpha-2)
COUNTRIES = [
    ("TH", "Thailand", "TH"),
    ("MM", "Myanmar", "MM"),
    ("KH", "Cambodia", "KH"),
    ("HN", "Honduras", "HN"),
    ("LK", "Sri Lanka", "LK"),
    ("NP", "Nepal", "NP"),
]


@dataclass(frozen=True)
class Flow:
    weight: int
    nationality: str
    culture: str
    statuses: tuple[str, ...]
    destinations: tuple[str, ...] = ()
    identifier: str = "clinic_number"
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    site_type: str
    lat: float
    lon: float
    flows: tuple[Flow, ...] = field(default_factory=tuple)


MM_WORKERS = Flow(
    10,
    "MM",
    "burmese",
    ("REG_LAB", "IRR", "REG_LAB", "UNK", "DECLINED"),
    ("TH",),
    "work_permit",
    ("my",),
)
MM_REFUGEES = Flow(
    10, "MM", "karen", ("REF", "ASY", "STL"), ("TH",), "refugee_number", ("my", "kar")
)
KH_WORKERS = Flow(4, "KH", "khmer", ("REG_LAB", "IRR"), ("TH",), "work_permit", ("km",))
LA_WORKERS = Flow(3, "LA", "lao", ("REG_LAB", "IRR"), ("TH",), "work_permit", ("lo",))
TH_HOST = Flow(2, "TH", "thai", ("HOST",), (), "national_id", ("th",))
KH_RETURNEES = Flow(
    10, "KH", "khmer", ("RET_INT", "RET_INT", "VOT", "FAM_LB"), ("TH",), "national_id", ("km",)
)
VN_CROSSERS = Flow(3, "VN", "vietnamese", ("REG_OTH", "IRR"), ("KH",), "passport", ("vi",))
HN_RETURNEES = Flow(
    10,
    "HN",
    "spanish",
    ("RET_INT", "RET_INT", "IDP", "FAM_LB", "HOST"),
    ("US", "MX"),
    "national_id",
    ("es",),
)
LK_DEPARTING = Flow(
    10, "LK", "sinhala", ("REG_LAB",), ("SA", "AE", "QA", "KW"), "passport", ("si",)
)
NP_DEPARTING = Flow(
    10,
    "NP",
    "nepali",
    ("REG_LAB", "REG_LAB", "FAM_LB"),
    ("MY", "QA", "AE", "SA"),
    "passport",
    ("ne",),
)
MM_RETURNEES = Flow(
    10, "MM", "burmese", ("RET_INT", "FAM_LB", "HOST"), ("TH",), "national_id", ("my",)
)

# country code → [(area code, area name, [(sub-area code, name, [sites])] or [sites])]
AREAS = {
    "TH": [
        (
            "TH-63",
            "Tak",
            [
                (
                    "TH-63-MSOT",
                    "Mae Sot",
                    [
                        Site(
                            "TH-MSOT-HOSP",
                            "Mae Sot General Hospital",
                            "hospital",
                            16.7131,
                            98.5747,
                            (MM_WORKERS, TH_HOST),
                        ),
                        Site(
                            "TH-MSOT-CLIN",
                            "Mae Sot Migrant Clinic",
                            "clinic",
                            16.7222,
                            98.5561,
                            (MM_WORKERS,),
                        ),
                        Site(
                            "TH-MSOT-BRDG",
                            "Mae Sot Friendship Bridge border post",
                            "border_post",
                            16.7006,
                            98.5164,
                            (MM_WORKERS,),
                        ),
                        Site(
                            "TH-MSOT-MOBI",
                            "Tak mobile clinic",
                            "mobile_clinic",
                            16.75,
                            98.6,
                            (MM_WORKERS, MM_REFUGEES),
                        ),
                    ],
                ),
                (
                    "TH-63-TSY",
                    "Tha Song Yang",
                    [
                        Site(
                            "TH-MAELA-CAMP",
                            "Mae La camp health post",
                            "camp",
                            17.1236,
                            98.3864,
                            (MM_REFUGEES,),
                        ),
                    ],
                ),
            ],
        ),
        (
            "TH-85",
            "Ranong",
            [
                (
                    "TH-85-MUE",
                    "Mueang Ranong",
                    [
                        Site(
                            "TH-RNG-HOSP",
                            "Ranong Hospital",
                            "hospital",
                            9.9658,
                            98.6348,
                            (MM_WORKERS, TH_HOST),
                        ),
                        Site(
                            "TH-RNG-PORT",
                            "Ranong fishing port health corner",
                            "health_corner",
                            9.9446,
                            98.5967,
                            (MM_WORKERS,),
                        ),
                    ],
                )
            ],
        ),
        (
            "TH-74",
            "Samut Sakhon",
            [
                (
                    "TH-74-MUE",
                    "Mueang Samut Sakhon",
                    [
                        Site(
                            "TH-SSK-HOSP",
                            "Samut Sakhon Hospital",
                            "hospital",
                            13.5475,
                            100.2744,
                            (MM_WORKERS, KH_WORKERS, LA_WORKERS, TH_HOST),
                        ),
                        Site(
                            "TH-SSK-FACT",
                            "Seafood factory health corner",
                            "health_corner",
                            13.5301,
                            100.2811,
                            (MM_WORKERS, KH_WORKERS),
                        ),
                        Site(
                            "TH-SSK-COMM",
                            "Samut Sakhon migrant community",
                            "community",
                            13.55,
                            100.26,
                            (MM_WORKERS, LA_WORKERS),
                        ),
                    ],
                )
            ],
        ),
    ],
    "MM": [
        (
            "MM-13",
            "Kayin State",
            [
                (
                    "MM-13-MWD",
                    "Myawaddy",
                    [
                        Site(
                            "MM-MWD-HOSP",
                            "Myawaddy Hospital",
                            "hospital",
                            16.6883,
                            98.5083,
                            (MM_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
    ],
    "KH": [
        (
            "KH-20",
            "Svay Rieng",
            [
                (
                    "KH-20-BAV",
                    "Bavet",
                    [
                        Site(
                            "KH-BAV-BRDR",
                            "Bavet border post",
                            "border_post",
                            11.0732,
                            106.1317,
                            (KH_RETURNEES, VN_CROSSERS),
                        ),
                        Site(
                            "KH-SVR-HOSP",
                            "Svay Rieng Provincial Referral Hospital",
                            "hospital",
                            11.0878,
                            105.7993,
                            (KH_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
        (
            "KH-1",
            "Banteay Meanchey",
            [
                (
                    "KH-1-POI",
                    "Poipet",
                    [
                        Site(
                            "KH-POI-PTC",
                            "Poipet Transit Centre",
                            "border_post",
                            13.6552,
                            102.5626,
                            (KH_RETURNEES,),
                        ),
                        Site(
                            "KH-POI-HC",
                            "Poipet health centre",
                            "clinic",
                            13.6601,
                            102.5565,
                            (KH_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
    ],
    "HN": [
        (
            "HN-CR",
            "Cortés",
            [
                (
                    "HN-CR-SPS",
                    "San Pedro Sula",
                    [
                        Site(
                            "HN-SPS-CAMR",
                            "Returned migrant care centre, San Pedro Sula",
                            "assessment_centre",
                            15.5056,
                            -88.0250,
                            (HN_RETURNEES,),
                        ),
                        Site(
                            "HN-SPS-CLIN",
                            "San Pedro Sula health centre",
                            "clinic",
                            15.5042,
                            -88.0255,
                            (HN_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
        (
            "HN-FM",
            "Francisco Morazán",
            [
                (
                    "HN-FM-TGU",
                    "Tegucigalpa",
                    [
                        Site(
                            "HN-TGU-HOSP",
                            "Tegucigalpa teaching hospital",
                            "hospital",
                            14.0867,
                            -87.1875,
                            (HN_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
        (
            "HN-OC",
            "Ocotepeque",
            [
                (
                    "HN-OC-AC",
                    "Agua Caliente",
                    [
                        Site(
                            "HN-OC-BRDR",
                            "Agua Caliente border post",
                            "border_post",
                            14.4322,
                            -89.2097,
                            (HN_RETURNEES,),
                        ),
                    ],
                )
            ],
        ),
    ],
    "LK": [
        (
            "LK-1",
            "Western Province",
            [
                (
                    "LK-11",
                    "Colombo",
                    [
                        Site(
                            "LK-CMB-MHAC",
                            "Colombo migration health assessment centre",
                            "assessment_centre",
                            6.9271,
                            79.8612,
                            (LK_DEPARTING,),
                        ),
                    ],
                )
            ],
        ),
        (
            "LK-6",
            "North Western Province",
            [
                (
                    "LK-61",
                    "Kurunegala",
                    [
                        Site(
                            "LK-KUR-COMM",
                            "Kurunegala community outreach",
                            "community",
                            7.4863,
                            80.3623,
                            (LK_DEPARTING,),
                        ),
                    ],
                )
            ],
        ),
    ],
    "NP": [
        (
            "NP-P3",
            "Bagmati Province",
            [
                (
                    "NP-P3-KTM",
                    "Kathmandu",
                    [
                        Site(
                            "NP-KTM-MHAC",
                            "Kathmandu migration health assessment centre",
                            "assessment_centre",
                            27.7172,
                            85.3240,
                            (NP_DEPARTING,),
                        ),
                    ],
                )
            ],
        ),
        (
            "NP-P1",
            "Koshi Province",
            [
                (
                    "NP-P1-JHA",
                    "Jhapa",
                    [
                        Site(
                            "NP-KAK-BRDR",
                            "Kakarbhitta border post",
                            "border_post",
                            26.6436,
                            88.1606,
                            (NP_DEPARTING,),
                        ),
                    ],
                )
            ],
        ),
    ],
}

# username, role, scope place codes
USERS = [
    ("admin", "administrator", ["TH", "MM", "KH", "HN", "LK", "NP"]),
    ("clinician", "clinician", ["TH-63-MSOT"]),
    ("chw", "chw", ["TH-85"]),
    ("volunteer", "chw", ["TH-63-MSOT"]),
    ("surveillance", "surveillance_officer", ["TH-63"]),
    ("surveillance_mm", "surveillance_officer", ["MM-13-MWD"]),
    ("analyst", "analyst", ["HN"]),
    ("manager", "programme_manager", ["TH", "MM", "KH", "HN", "LK", "NP"]),
    ("viewer", "viewer", ["KH"]),
    ("clinician_hn", "clinician", ["HN"]),
]
