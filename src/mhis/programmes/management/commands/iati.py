from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.programmes import iati


class Command(BaseCommand):
    help = "IATI activities (standard 2.03): publish the portfolio, or read an activities file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="every project as IATI activity XML")
        export.add_argument("--out", help="file to write (default: standard output)")
        read = sub.add_parser("import", help="read an IATI activities file into projects")
        read.add_argument("file")

    def handle(self, *args, action, **options):
        try:
            if action == "export":
                data = iati.export()
                if options["out"]:
                    Path(options["out"]).write_bytes(data)
                    self.stdout.write(f"wrote {options['out']}")
                else:
                    self.stdout.write(data.decode("utf-8"))
                return
            try:
                raw = Path(options["file"]).read_bytes()
            except OSError as exc:
                raise CommandError(f"file: {exc.strerror}: {options['file']}") from None
            report = iati.import_activities(raw)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        self.stdout.write(
            f"{report.created} projects created, {report.updated} updated, "
            f"{report.partners} partners' activities, {report.refused} refused"
        )
        for activity in report.activities:
            if activity.refused:
                self.stdout.write(f"  {activity.identifier}: refused: {activity.refused}")
            elif activity.unmapped:
                self.stdout.write(
                    f"  {activity.identifier}: not mapped: {'; '.join(activity.unmapped)}"
                )
