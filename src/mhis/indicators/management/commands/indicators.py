import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from mhis.indicators import batch, dhis2, exports, services
from mhis.indicators import periods as P
from mhis.indicators.definitions import DefinitionError, load, load_file
from mhis.indicators.disclosure import protect, text
from mhis.indicators.engine import Request
from mhis.indicators.models import ExportMapping
from mhis.indicators.tasks import extract
from mhis.places.models import Place
from mhis.work.queue import enqueue


def _periods(raw: list[str] | None, kind: str | None, start: str | None, end: str | None):
    if raw and kind:  # each period given, counted by the smaller period asked for
        try:
            given = [P.parse(key) for key in raw]
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from None
        return [p.key for g in given for p in P.between(g.start, g.end, kind)]
    if raw:
        return raw
    if start and end:
        try:
            first, last = P.parse(start), P.parse(end)
        except ValueError as exc:
            raise CommandError(f"--from/--to: {exc}") from None
        return [p.key for p in P.between(first.start, last.end, kind or first.type)]
    raise CommandError("--period: give one or more periods (or --from and --to)")


def _place(code: str | None) -> Place | None:
    if not code:
        return None
    try:
        return Place.objects.get(code=code)
    except Place.DoesNotExist:
        raise CommandError(f"--place: no place has the code {code!r}") from None


class Command(BaseCommand):
    help = "Indicators: list and check definitions, compute, export to DHIS2 or ADX, extract."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the indicators in force")
        check = sub.add_parser("check", help="check definition files (the pack when none given)")
        check.add_argument("files", nargs="*", type=Path)

        def period_args(p):
            p.add_argument("--period", action="append", help="2026-W07, 2026-02, 2026-Q1, 2026")
            p.add_argument("--from", dest="start", help="first period (with --to)")
            p.add_argument("--to", dest="end", help="last period")
            p.add_argument("--every", choices=P.KINDS)
            p.add_argument("--place", help="place code (default: everywhere)")

        compute = sub.add_parser("compute", help="one indicator, protected, as a table")
        compute.add_argument("code")
        compute.add_argument("--by", default="", help="disaggregations, comma-separated")
        period_args(compute)

        export = sub.add_parser("export", help="every mapped indicator as DHIS2 JSON or ADX XML")
        export.add_argument("--format", choices=["dhis2", "adx"], required=True)
        export.add_argument("--mapping", type=Path, help="mapping file (default: the bundled one)")
        export.add_argument("--children", action="store_true", help="one org unit per child place")
        export.add_argument("--out", type=Path, help="file to write (default: standard output)")
        period_args(export)

        push = sub.add_parser(
            "push-dhis2",
            help="send every mapped indicator to the DHIS2 server (MHIS_DHIS2_URL): a dry run, "
            "then for real with --commit",
        )
        push.add_argument("--mapping", type=Path, help="mapping file (default: the one in force)")
        push.add_argument("--children", action="store_true", help="one org unit per child place")
        push.add_argument(
            "--commit",
            action="store_true",
            help="import for real once the dry run reports no conflict",
        )
        period_args(push)

        mapping = sub.add_parser("mapping", help="check a DHIS2/ADX mapping file, and save it")
        mapping.add_argument("file", type=Path)
        mapping.add_argument(
            "--save", action="store_true", help="make it the mapping in force (as the page does)"
        )

        extract = sub.add_parser("extract", help="write the encrypted batch extract (Parquet)")
        extract.add_argument("--out", type=Path, required=True)
        extract.add_argument(
            "--queue",
            action="store_true",
            help="queue the extract for a worker (mhis worker) instead of writing it here",
        )

        run = sub.add_parser("batch", help="compute the whole pack over an extract with DuckDB")
        run.add_argument("--extract", type=Path, required=True)
        run.add_argument("--by", default="sex,age_group,nationality,migration_status,place")
        run.add_argument("--threads", type=int)
        period_args(run)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(**options)
        except (DefinitionError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None

    def do_list(self, **options):
        for code, ind in services.catalogue().items():
            self.stdout.write(f"{code:30} {ind.unit:12} {ind.name}")

    def do_check(self, files, **options):
        found = [i for f in files for i in load_file(f)] if files else list(load().values())
        self.stdout.write(f"{len(found)} definitions are valid.")

    def do_compute(self, code, by, period, start, end, every, place, **options):
        place_obj = _place(place)
        dims = tuple(d for d in by.split(",") if d)
        indicator = services.get(code)
        keys = _periods(period, every, start, end)
        raw = services.table(indicator, keys, place_obj.path if place_obj else "/", dims)
        services.complete(raw, place_obj, keys)
        self.stdout.write(f"{indicator.code}: {indicator.name} ({indicator.unit})")
        for cell in protect(raw):
            key = " ".join("total" if v is None else str(v) for v in cell.key)
            self.stdout.write(f"  {key:50} {text(cell, indicator.unit, indicator.suppression)}")

    def _values(self, mapping, children, period, start, end, every, place):
        place_obj = _place(place) or Place.objects.filter(level=0).order_by("code").first()
        if place_obj is None:
            raise CommandError("--place: there are no places yet")
        m = exports.load_mapping(mapping)
        refused: list[str] = []
        rows, withheld = exports.values(
            m, place_obj, _periods(period, every, start, end), children=children, refused=refused
        )
        for code in refused:
            self.stderr.write(
                f"{code}: not exported; a breakdown by migration status is published for "
                "countries and first-level areas only (export a wider place, or without --children)."
            )
        return m, rows, withheld

    def do_export(
        self, format, mapping, children, out, period, start, end, every, place, **options
    ):
        m, rows, withheld = self._values(mapping, children, period, start, end, every, place)
        if format == "dhis2":
            body = json.dumps(exports.dhis2(m, rows), ensure_ascii=False, indent=1).encode()
        else:
            body = exports.adx(m, rows)
        if out:
            out.write_bytes(body)
        else:
            self.stdout.write(body.decode())
        self.stderr.write(f"{len(rows)} values exported, {withheld} withheld (small numbers).")

    def do_push_dhis2(self, mapping, children, commit, period, start, end, every, place, **options):
        m, rows, withheld = self._values(mapping, children, period, start, end, every, place)
        if not rows:
            raise CommandError("nothing to send: every value is empty")
        document = exports.dhis2(m, rows)
        self.stderr.write(f"{len(rows)} values, {withheld} withheld (sent as a comment only).")
        try:
            summary = dhis2.push(document, dry_run=True)
            for line in summary.lines():
                self.stdout.write(line)
            if not commit:
                self.stdout.write("Nothing imported: run again with --commit to import.")
                return
            if not summary.clean:
                raise CommandError("not imported: the dry run reports conflicts (above)")
            summary = dhis2.push(document, dry_run=False)
        except dhis2.PushError as exc:
            raise CommandError(str(exc)) from None
        for line in summary.lines():
            self.stdout.write(line)
        if not summary.clean:
            raise CommandError("DHIS2 did not import every value (above)")

    def do_mapping(self, file, save, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        parsed, problems = exports.check_mapping(text, file.name)
        if problems:
            raise CommandError(str(exports.MappingError(file.name, problems)))
        self.stdout.write(f"{file.name}: valid, {len(parsed.indicators)} indicators mapped.")
        if save:
            ExportMapping.objects.create(text=text)
            self.stdout.write("Saved: it is now the mapping in force.")

    def do_extract(self, out, queue=False, **options):
        if queue:  # the worker writes it: the folder as the worker finds it
            self.stdout.write(f"queued: task {enqueue(extract, str(out.resolve())).id}")
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, disable=options["verbosity"] == 0) as progress:
            tasks = {}

            def step(source, n):
                if source not in tasks:
                    tasks[source] = progress.add_task(source, total=None)
                progress.advance(tasks[source], n)

            counts = batch.write_extract(out, progress=step)
        self.stdout.write(", ".join(f"{k}: {v:,}" for k, v in counts.items()))

    def do_batch(self, extract, by, threads, period, start, end, every, place, **options):
        started = time.perf_counter()
        engine = batch.open_extract(extract, threads)
        loaded = time.perf_counter() - started
        periods = sorted(P.parse(k) for k in _periods(period, every, start, end))
        place_obj = _place(place)
        dims = [d for d in by.split(",") if d]
        started = time.perf_counter()
        jobs = []
        for indicator in services.catalogue().values():
            # The total and each disaggregation on its own (margins), planned as one batch.
            own = tuple(d for d in dims if d in indicator.disaggregations)
            request = Request(
                periods[0].start,
                periods[-1].end,
                periods[0].type,
                place_obj.path if place_obj else "/",
                own,
                cross=False,
            )
            jobs.append((indicator, request))
        cells = sum(len(table.cells) for table in engine.compute_many(jobs))
        took = time.perf_counter() - started
        self.stdout.write(f"loaded in {loaded:.2f} s; {cells:,} cells in {took:.2f} s")
