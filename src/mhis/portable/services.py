"""The portable record: what views, API and commands call."""

from __future__ import annotations

import json

from mhis.registry.services import get_person

from . import ips


def export_ips(user, person_uuid, *, view: str = "ips-export") -> str:
    """A person's International Patient Summary as JSON text, for a user who may read the
    record (the read is logged). A merged record answers with its survivor's summary."""
    person = get_person(user, person_uuid, view=view)
    if person.merged_into_id:
        person = get_person(user, person.merged_into.uuid, view=view)
    return json.dumps(ips.bundle(person), ensure_ascii=False, indent=2)
