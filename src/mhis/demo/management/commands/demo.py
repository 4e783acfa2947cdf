from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mhis.demo import services
from mhis.demo.programmes import build_programmes
from mhis.demo.surveillance import build_surveillance


class Command(BaseCommand):
    help = "Build the synthetic demo world: places, one user per role, and people with known duplicates."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=list(services.SIZES),
            default="small",
            help="small ≈ 5,000 people, medium ≈ 100,000, large ≈ 1,000,000",
        )
        parser.add_argument("--seed", type=int, default=2026, help="same seed, same world")
        parser.add_argument(
            "--if-absent",
            action="store_true",
            help="do nothing but print the logins when a world is already there",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="folder for logins.txt and ground_truth.csv (default: var/demo)",
        )
        parser.add_argument(
            "--link",
            action="store_true",
            help="queue a linkage run for the worker (mhis worker) unless one was made or is "
            "queued, so the review queue of possible duplicates fills",
        )

    def handle(self, *args, size, seed, if_absent, out, link=False, **options):
        out = out or Path(settings.VAR_DIR) / "demo"
        if services.world_exists():
            if not if_absent:
                raise CommandError(
                    "This database already holds places; build the demo into an empty database."
                )
            self.stdout.write("The demo world is already built.")
        else:
            sites = services.build_places()
            logins = services.build_users()
            services.write_logins(out / "logins.txt", logins)
            count = services.SIZES[size]
            columns = (
                TextColumn("people"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, disable=options["verbosity"] == 0) as progress:
                task = progress.add_task("people", total=count)
                result = services.build_people(
                    sites,
                    count,
                    seed,
                    out / "ground_truth.csv",
                    progress=lambda n: progress.advance(task, n),
                )
            self.stdout.write(
                f"Built {result['people']:,} people ({result['duplicates']:,} duplicate registrations, "
                f"listed in {out / 'ground_truth.csv'})."
            )
            weekly = build_surveillance(seed)
            self.stdout.write(
                f"Built {weekly['reports']:,} weekly site reports; {weekly['alerts']} open alerts."
            )
            portfolio = build_programmes()
            self.stdout.write(
                f"Built the portfolio: {portfolio['projects']} projects, "
                f"{portfolio['events']} events, {portfolio['practices']} promising practices."
            )
        if link and (task_id := services.queue_linkage()):
            self.stdout.write(
                f"Queued the linkage (task {task_id}): the worker fills the review queue "
                "(Possible duplicates) in a minute or two."
            )
        logins = services.read_logins(out / "logins.txt")
        roles = services.demo_roles()
        self.stdout.write("Demo logins (user · role · password):")
        for user, password in logins.items():
            self.stdout.write(f"  {user:<14} {roles.get(user, ''):<22} {password}")
