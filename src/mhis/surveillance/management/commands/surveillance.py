from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from mhis.surveillance import completeness, owners, services
from mhis.surveillance.tasks import evaluate_week
from mhis.work.queue import enqueue


class Command(BaseCommand):
    help = "Surveillance: import weekly reports, evaluate a week for alerts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="raise alerts for an ISO week, every site")
        evaluate.add_argument("--week", help="ISO week, 2026-W47 (default: last full week)")
        evaluate.add_argument(
            "--queue", action="store_true", help="queue the evaluation for a worker (mhis worker)"
        )
        sub.add_parser(
            "escalate",
            help="mark alerts past their verification deadline escalated and notify",
        )
        sub.add_parser(
            "remind",
            help="remind the reporters of sites whose last full week has not come (once per "
            "site and week)",
        )
        load = sub.add_parser("import", help="weekly reports from a CSV or XLSX file")
        load.add_argument("file")
        load.add_argument("--user", required=True, help="who sends them (their places apply)")
        out = sub.add_parser(
            "export-reports",
            help="weekly reports of a place as a CSV or XLSX file the import reads back",
        )
        out.add_argument("file", help="where to write the file")
        out.add_argument("--place", required=True, help="place code (its sites in your places)")
        out.add_argument("--from", dest="start", required=True, help="first ISO week, 2026-W01")
        out.add_argument("--to", dest="end", required=True, help="last ISO week, 2026-W10")
        out.add_argument("--format", dest="fmt", choices=("csv", "xlsx"), default="csv")
        out.add_argument("--user", required=True, help="who reads them (their places apply)")

    def handle(self, *args, action, verbosity, **options):
        if action == "escalate":
            done = owners.escalate()
            self.stdout.write(f"{len(done):,} alerts escalated")
            for also in owners.ALSO_ESCALATE:
                self.stdout.write(
                    f"{len(also(None)):,} {also.__name__.split('_', 1)[-1]} escalated"
                )
            return
        if action == "remind":
            sent = completeness.remind(None)
            week = services.week_label(*services.last_full_week())
            self.stdout.write(f"{week}: {len(sent):,} sites reminded")
            for reminder in sent:
                self.stdout.write(f"  {reminder.site.code}: {reminder.recipients} recipients")
            return
        if action == "evaluate":
            try:
                week = (
                    services.require_week(options["week"])
                    if options["week"]
                    else services.last_full_week()
                )
            except ValidationError as exc:
                raise CommandError(f"--week: {' '.join(exc.message_dict['week'])}") from None
            if options["queue"]:
                result = enqueue(evaluate_week, *week)
                self.stdout.write(f"queued: task {result.id}")
                return
            result = services.evaluate_week(*week)
            self.stdout.write(
                f"{services.week_label(*week)}: {result['series']:,} series, "
                f"{result['alarms']:,} above threshold, "
                f"{result['new_alerts']:,} new alerts"
            )
            return
        if action == "export-reports":
            self._export(options)
            return
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user {options['user']}")
        try:
            rows = services.read_table(options["file"])
            with Progress(disable=verbosity == 0) as bar:
                task = bar.add_task("reading", total=None)

                def counted():
                    for n, row in rows:
                        bar.update(task, description=f"row {n:,}")
                        yield n, row

                lines = services.import_reports(user, counted())
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(str(exc)) from None
        tally: dict[str, int] = {}
        for line in lines:
            tally[line["status"]] = tally.get(line["status"], 0) + 1
            for error in line["errors"]:
                self.stdout.write(f"row {error['row']}, {error['field']}: {error['message']}")
        self.stdout.write("site-weeks: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
        if tally.get("rejected"):
            raise CommandError(f"{tally['rejected']} site-weeks rejected; the others were kept")

    def _export(self, options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user {options['user']}")
        data = {
            "place": options["place"],
            "from": options["start"],
            "to": options["end"],
            "format": options["fmt"],
        }
        try:
            _name, _media, body = services.export_reports(user, data)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            problems = [f"--{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
            raise CommandError("; ".join(problems)) from None
        try:
            with open(options["file"], "wb") as handle:
                handle.write(body)
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}") from None
        self.stdout.write(f"{options['file']}: written ({len(body):,} bytes)")
