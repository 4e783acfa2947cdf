from django.conf import settings
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
            help="score only pairs with a record registered since the last run",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="send pairs scored at least this to review (0–1; default MHIS_LINKAGE_REVIEW, 0.5)",
        )
        parser.add_argument(
            "--cluster-threshold",
            type=float,
            default=None,
            help="merge records linked by pairs scored at least this without review, a group at "
            "a time (default MHIS_LINKAGE_AUTO, 0.99)",
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
                _check(
                    settings.MHIS_LINKAGE_REVIEW if threshold is None else threshold,
                    settings.MHIS_LINKAGE_AUTO if cluster_threshold is None else cluster_threshold,
                )
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
            f"run {run.pk}: {run.records:,} records, {run.pairs:,} candidate pairs "
            f"({run.new_pairs:,} new), {run.merged:,} records merged without review, "
            f"{run.queued:,} pairs waiting for review"
        )
