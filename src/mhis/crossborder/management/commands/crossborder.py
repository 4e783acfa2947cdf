from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.crossborder import services
from mhis.crossborder.models import Twinning


class Command(BaseCommand):
    help = "Across borders: twin two places in different countries, list twinnings."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        twin = sub.add_parser("twin", help="twin two places (codes) under an agreement")
        twin.add_argument("place", help="place code, e.g. TH-63-MSOT")
        twin.add_argument("twin", help="the twin's place code in another country, e.g. MM-13-MWD")
        twin.add_argument("--note", required=True, help="the agreement, e.g. MBDS Mae Sot–Myawaddy")
        end = sub.add_parser("end", help="end a twinning (what was shared stays)")
        end.add_argument("place")
        end.add_argument("twin")
        sub.add_parser("list", help="the twinnings")

    def handle(self, *args, action, **options):
        if action == "list":
            for row in Twinning.objects.select_related("place_a", "place_b"):
                state = "active" if row.active else "ended"
                self.stdout.write(
                    f"{row.place_a.code}\t{row.place_b.code}\t{state}\t{row.agreement}"
                )
            return
        if action == "end":
            found = Twinning.objects.filter(
                place_a__code__in=[options["place"], options["twin"]],
                place_b__code__in=[options["place"], options["twin"]],
            ).first()
            if found is None:
                raise CommandError("twin: these places are not twinned")
            services.set_active(None, found, False)
            self.stdout.write(f"ended: {found}")
            return
        try:
            row = services.twin(None, options["place"], options["twin"], options["note"])
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())
            ) from None
        self.stdout.write(f"twinned: {row.place_a.code} ↔ {row.place_b.code} ({row.agreement})")
