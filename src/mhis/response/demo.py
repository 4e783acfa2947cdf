"""The demo outbreak's response: a rapid risk assessment, three actions (one done, one open,
one overdue and escalated) and its 7-1-7 dates, the notification a day late with its
bottleneck named — so the 7-1-7 table shows the outbreak's three intervals."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mhis.surveillance.models import Outbreak

from . import services
from .models import ResponseAction


def build_response(outbreak: Outbreak, officer) -> None:
    today = timezone.localdate()
    assessment = services.assess(
        officer,
        outbreak,
        {
            "hazard": "Acute watery diarrhoea, culture pending; cholera not excluded.",
            "exposure": "About 2,000 porters and traders at the bridge market and the "
            "dormitories; shared latrines; crossing daily.",
            "context": "Rainy season, water points not chlorinated, a cross-border market; "
            "the border post has one nurse and oral rehydration for 50 people.",
            "likelihood": "highly_likely",
            "consequence": "moderate",
            "confidence": "moderate",
            "actions": "Chlorinate the water points; active case finding in the dormitories; "
            "oral rehydration supplies to the border post; tell the Myawaddy side.",
        },
    )
    due = today + timedelta(days=3)

    def add(title: str, early: bool):
        return services.add_action(
            officer,
            outbreak,
            {"title": title, "owner": officer.pk, "due_on": due.isoformat(),
             "early": early, "assessment": assessment.pk},
        )  # fmt: skip

    chlorinate = add("Chlorinate the bridge market's water points", True)
    services.move_action(
        officer, chlorinate, {"state": "done", "done_on": (today - timedelta(days=2)).isoformat()}
    )
    add("Active case finding in the dormitories", False)
    supplies = add("Oral rehydration supplies to the border post", False)
    ResponseAction.objects.filter(pk=supplies.pk).update(due_on=today - timedelta(days=1))
    services.escalate_actions()
    services.record_timeliness(
        officer,
        outbreak,
        {
            "emerged_on": (today - timedelta(days=16)).isoformat(),
            "detected_on": (today - timedelta(days=9)).isoformat(),
            "notified_on": (today - timedelta(days=7)).isoformat(),
            "notify_bottleneck": "reporting",
            "notify_note": "The volunteer's report reached the district office after a weekend.",
        },
    )
