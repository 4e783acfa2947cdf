"""The demo outbreak's response (ADR 0031): an assessment, three actions (one done, one open,
one overdue and escalated once) and 7-1-7 dates giving three intervals, one target missed
with its bottleneck named."""

import pytest
from django.core.management import call_command

from mhis.notifications.models import Notification
from mhis.response import services
from mhis.surveillance.models import Outbreak

pytestmark = pytest.mark.django_db


def test_the_demo_outbreak_has_its_response(tmp_path):
    call_command("demo", "--size", "tiny", "--seed", "7", "--out", str(tmp_path), verbosity=0)
    outbreak = Outbreak.objects.get()
    assert outbreak.assessments.get().level == "high"  # highly likely × moderate
    states = sorted((a.state, a.escalated_at is not None) for a in outbreak.actions.all())
    assert states == [("done", False), ("open", False), ("open", True)]
    assert Notification.objects.filter(kind="action_overdue").exists()
    assert services.escalate_actions() == []  # escalated once, by the demo
    result = services.seven(outbreak)
    assert result.derived  # the early response date from the done early action
    assert result.days == {"detect": 7, "notify": 2, "respond": 5}
    assert result.missed == ["notify"]
    assert result.bottlenecks["notify"] == "Reporting and information systems"
