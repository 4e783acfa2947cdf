"""The demo's cross-border outbreak: Mae Sot twinned with Myawaddy under the Mekong Basin
Disease Surveillance network's agreement, the outbreak at the border post shared with
Myawaddy's surveillance officer, who acknowledges it with a reply."""

from __future__ import annotations

from mhis.access.models import User
from mhis.places.models import Place
from mhis.surveillance.models import Outbreak

from . import services

AGREEMENT = "MBDS Mae Sot–Myawaddy"


def share_outbreak(outbreak: Outbreak, officer: User) -> None:
    mae_sot = Place.objects.filter(code="TH-63-MSOT").first()
    myawaddy = Place.objects.filter(code="MM-13-MWD").first()
    receiver = User.objects.filter(username="surveillance_mm").first()
    if mae_sot is None or myawaddy is None or receiver is None:
        return
    twinning = services.pair(mae_sot, myawaddy).first() or services.twin(
        None, mae_sot.code, myawaddy.code, AGREEMENT
    )
    outbreak.refresh_from_db()
    row = services.share(
        officer,
        outbreak,
        twinning.pk,
        "Declared at the Friendship Bridge border post; porters cross daily. "
        "Please look out for watery diarrhoea at Myawaddy Hospital and tell us what you see.",
    )
    services.acknowledge(
        receiver,
        row,
        "Received. Myawaddy Hospital has seen 4 cases this week; water points near the "
        "bridge are being chlorinated.",
    )
