from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mhis.portable.services import export_ips
from mhis.registry.models import Person


class Command(BaseCommand):
    help = "International Patient Summary (FHIR R4): export a person's record."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="a person's summary as a FHIR document Bundle")
        export.add_argument("person", help="the person's id (UUID)")
        export.add_argument("--user", required=True, help="who reads the record (logged)")
        export.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args, action, person, user, out, **options):
        reader = get_user_model().objects.filter(username=user).first()
        if reader is None:
            raise CommandError(f"--user: no user {user}")
        try:
            text = export_ips(reader, person, view="cli:ips-export")
        except Person.DoesNotExist:
            raise CommandError(f"person: no person {person} in {user}'s places") from None
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {out}")
        else:
            self.stdout.write(text)
