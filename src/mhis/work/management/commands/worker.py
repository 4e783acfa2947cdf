import logging

from django.core.management.base import BaseCommand

from mhis.work.worker import Worker


class Command(BaseCommand):
    help = "Run queued background work (imports, linkage, extracts, backups) and the schedule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when the queue is empty (default 1)",
        )
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="keep_schedule",
            help="do not queue the schedule's runs (another worker keeps it)",
        )
        parser.add_argument(
            "--until-empty", action="store_true", help="stop when no task is left to run"
        )
        parser.add_argument("--max-tasks", type=int, help="stop after running this many tasks")
        parser.add_argument(
            "--id",
            default="",
            dest="worker_id",
            help="this worker's name in the queue (default: host:pid)",
        )

    def handle(self, *args, verbosity, **options):
        # What it runs, on the console handler of the settings' LOGGING (quiet with -v0).
        logging.getLogger("mhis.work").setLevel(logging.WARNING if verbosity == 0 else logging.INFO)
        worker = Worker(**options_for(options))
        ran = worker.run()
        if verbosity:
            self.stdout.write(f"worker {worker.worker_id}: {ran:,} tasks run")


def options_for(options: dict) -> dict:
    keys = ("interval", "keep_schedule", "until_empty", "max_tasks", "worker_id")
    return {k: options[k] for k in keys}
