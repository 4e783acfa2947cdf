"""Input data for the registry services (what a form or an API client would send)."""

import factory

from mhis.names._lexicon import LEXICON

BURMESE = [
    (native, latin) for script, native, latin, _ in LEXICON if script == "Mymr" and len(latin) > 2
]


class NameFactory(factory.DictFactory):
    text = factory.Sequence(
        lambda n: BURMESE[n % len(BURMESE)][0] + BURMESE[(n * 7 + 3) % len(BURMESE)][0]
    )
    latin = None


class PersonDataFactory(factory.DictFactory):
    registration_site = "MSOT-CLIN"
    names = factory.List([factory.SubFactory(NameFactory)])
    sex = "female"
    birth_date = "1991-04"
    nationality = "MM"
    languages = factory.List(["my", "th"])
    contact = "+66 81 234 5678"
    identifiers = factory.List(
        [
            factory.Dict(
                {
                    "type": "work_permit",
                    "issuing_country": "TH",
                    "value": factory.Sequence(lambda n: f"WP-{10000000 + n}"),
                }
            )
        ]
    )
    episodes = factory.List(
        [
            factory.Dict(
                {
                    "status": "REG_LAB",
                    "origin_country": "MM",
                    "destination_country": "TH",
                    "occupation_sector": "fishing",
                    "start_date": "2019-06-01",
                }
            )
        ]
    )
    consents = factory.List([factory.Dict({"scope": "care", "given_on": "2026-01-15"})])
