import json
import logging
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mhis import downloads
from mhis.intake import services
from mhis.intake.fieldforms import FORMS

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file (--kind), or the submissions of a field form exported from "
        "ODK Central or KoboToolbox (--form): each row checked, upserted by its key, reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", default="people", choices=sorted(services.KINDS))
        parser.add_argument(
            "--form", choices=sorted(FORMS), help="the file holds submissions of this field form"
        )
        parser.add_argument(
            "--user", required=True, help="who imports (their places and role apply)"
        )
        parser.add_argument(
            "--source", default="", help="the source's name (default: the file's name)"
        )
        parser.add_argument(
            "--map",
            default="",
            help='the column mapping as JSON {"field": "column" or {...}}, saved for the source',
        )
        parser.add_argument(
            "--mapping",
            default="",
            help="a JSON file holding the column mapping (recoded values, constants, a country "
            "for the site: see the user guide), saved for the source",
        )
        parser.add_argument("--report", help="write the rejected rows to this CSV file")

    def handle(self, *args, file, kind, form, user, source, map, mapping, report, **options):
        who = get_user_model().objects.filter(username=user).first()
        if who is None:
            raise CommandError(f"--user: no user {user}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: no file {file}")
        if map and mapping:
            raise CommandError("--map and --mapping: give one of them")
        if mapping:
            try:
                map = Path(mapping).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"--mapping: cannot read {mapping} ({exc})") from None
        try:
            columns = json.loads(map) if map else None
        except ValueError as exc:
            option = "--mapping" if mapping else "--map"
            raise CommandError(f"{option}: not JSON ({exc})") from None
        quiet = options["verbosity"] == 0
        with Progress(
            TextColumn("rows"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=quiet,
        ) as bar:
            task = bar.add_task("rows", total=None)

            def progress(done, total):
                bar.update(task, completed=done, total=total)
                if not quiet and not bar.console.is_terminal:
                    self.stdout.write(f"rows {done}/{total}")
                    self.stdout.flush()

            try:
                if form:
                    jobs = services.import_submissions(
                        who, path, form=form, source=source, progress=progress
                    )
                else:
                    jobs = [
                        services.run_import(
                            who, path, kind=kind, source=source, columns=columns, progress=progress
                        )
                    ]
            except ValidationError as exc:
                lines = [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
                raise CommandError("\n".join(lines)) from None
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
            except Exception:  # the job, if one started, is marked failed with the reason
                log.exception("import of %s failed", path)
                raise CommandError(
                    _(
                        "The import stopped on an unexpected error; the server's log has the details."
                    )
                ) from None
        for job in jobs:
            self._report(job, report if len(jobs) == 1 else report and f"{report}.{job.kind}.csv")

    def _report(self, job, report):
        counts = services.summary(job)
        self.stdout.write(
            f"{job.kind}: "
            + (", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no rows")
        )
        if job.unread_columns:
            self.stdout.write(
                "  "
                + _("These columns were not read: %(columns)s.")
                % {"columns": ", ".join(job.unread_columns)}
            )
        rejected = job.rows.filter(outcome="rejected")
        for row in rejected[:20]:
            self.stdout.write(f"  row {row.row}, {row.field or '—'}: {row.reason}")
        if rejected.count() > 20:
            self.stdout.write(f"  … {rejected.count() - 20} more")
        likely = job.rows.filter(outcome="duplicate").exclude(reason="")
        for row in likely[:20]:
            people = ", ".join(f"{one['person']} ({one['probability']:.2f})" for one in row.likely)
            self.stdout.write(
                f"  row {row.row} ({row.source_key}), person {row.person_id}: likely already "
                f"registered as {people}"
            )
        if likely.count() > 20:
            self.stdout.write(f"  … {likely.count() - 20} more likely already registered")
        if report:
            with Path(report).open("w", encoding="utf-8", newline="") as f:
                writer = downloads.CsvWriter(f)
                writer.writerow(["row", "source_key", "field", "reason"])
                for row in rejected.iterator():
                    writer.writerow([row.row, row.source_key, row.field, row.reason])
            self.stdout.write(f"wrote {report}")
