from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.portable.services import export_ips, import_ips
from mhis.registry.models import Person


class Command(BaseCommand):
    help = "International Patient Summary (FHIR R4): export a person's record, or read one in."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="a person's summary as a FHIR document Bundle")
        export.add_argument("person", help="the person's id (UUID)")
        export.add_argument("--user", required=True, help="who reads the record (logged)")
        export.add_argument("--out", help="file to write (default: standard output)")
        read = sub.add_parser("import", help="read a summary another system produced")
        read.add_argument("file", help="the IPS Bundle (JSON)")
        read.add_argument("--user", required=True, help="who reads it in")
        read.add_argument("--person", help="add to this person (UUID) rather than find or register")
        read.add_argument("--site", help="site code registering a new person")
        read.add_argument("--source", default="", help="name of the sending system or clinic")

    def _user(self, name):
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"--user: no user {name}")
        return user

    def handle(self, *args, action, user, **options):
        reader = self._user(user)
        if action == "import":
            return self._import(reader, **options)
        person, out = options["person"], options["out"]
        try:
            text = export_ips(reader, person, view="cli:ips-export")
        except Person.DoesNotExist:
            raise CommandError(f"person: no person {person} in {user}'s places") from None
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {out}")
        else:
            self.stdout.write(text)

    def _import(self, user, *, file, person, site, source, **options):
        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"file: {exc.strerror}: {file}") from None
        try:
            result = import_ips(user, raw, person_uuid=person, site=site, source=source)
        except ValidationError as exc:
            lines = [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
            raise CommandError("the summary was not read:\n  " + "\n  ".join(lines)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        summary = result.summary
        how = {"chosen": "added to", "identifier": "matched to", "new": "registered as",
               "known": "matched by patient identifier to", "document": "read before into"}  # fmt: skip
        self.stdout.write(f"{how[result.matched]} {result.person.uuid} ({result.person})")
        if result.known_entries:
            self.stdout.write(
                f"{result.known_entries} entries already in the record: not kept again"
            )
        if result.already or summary is None:
            self.stdout.write(
                "nothing new in this summary (read before, or already in the record): nothing changed"
            )
            return
        self.stdout.write(f"{summary.items.count()} entries from {summary.source}")
        for skipped in result.refused:
            self.stdout.write(f"  not read: {skipped}")
        for other in result.possible_matches:
            self.stdout.write(f"  possibly the same person: {other.uuid} ({other})")
