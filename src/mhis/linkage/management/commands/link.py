from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mhis.linkage.models import LinkRun
from mhis.linkage.services import _check, run_linkage
from mhis.linkage.tasks import link
from mhis.work.queue import enqueue


def _options(exc: ValidationError) -> str:
    return "; ".join(f"--{k.replace('_', '-')}: {' '.join(v)}" for k, v in exc.message_dict.items())


class Command(BaseCommand):
    help = "Find people registered more than once: score candidate pairs and cluster them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new",
            action="store_true",
            help="keep only pairs with a record registered since the last run",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=0.5,
            help="keep pairs scored at least this (0–1, default 0.5)",
        )
        parser.add_argument(
            "--cluster-threshold",
            type=float,
            default=0.95,
            help="link pairs scored at least this into clusters (default 0.95)",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="queue the run for a worker (mhis worker) instead of running it here",
        )

    def handle(self, *args, new, threshold, cluster_threshold, verbosity, queue, **options):
        scope = LinkRun.Scope.NEW if new else LinkRun.Scope.ALL
        if queue:
            try:
                _check(threshold, cluster_threshold)
            except ValidationError as exc:
                raise CommandError(_options(exc)) from None
            result = enqueue(link, scope, threshold, cluster_threshold)
            self.stdout.write(f"queued: task {result.id}")
            return
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, disable=verbosity == 0) as bar:
            task = bar.add_task("starting", total=None)
            try:
                run = run_linkage(
                    scope=scope,
                    threshold=threshold,
                    cluster_threshold=cluster_threshold,
                    progress=lambda step: bar.update(task, description=step),
                )
            except ValidationError as exc:
                raise CommandError(_options(exc)) from None
        self.stdout.write(
            f"run {run.pk}: {run.records:,} records, {run.pairs:,} candidate pairs, "
            f"{run.clusters:,} clusters of more than one record"
        )
