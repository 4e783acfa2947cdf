from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.maintenance import services
from mhis.maintenance.tasks import backup
from mhis.work.queue import enqueue


class Command(BaseCommand):
    help = "Write an encrypted backup of the whole database (restore it with `mhis restore`)."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="the backup file to write")
        parser.add_argument(
            "--key-file", type=Path, required=True, help="the operator's backup key (see --new-key)"
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="first write a new key to --key-file (which must not exist)",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="queue the backup for a worker (mhis worker) instead of writing it here",
        )

    def handle(self, *args, out, key_file, new_key, queue, **options):
        try:
            if new_key:
                services.new_key(key_file)
                self.stdout.write(f"New key in {key_file}: keep a copy away from the backups.")
            if queue:  # the worker writes it: paths as the worker finds them
                result = enqueue(backup, str(Path(out).resolve()), str(Path(key_file).resolve()))
                self.stdout.write(f"queued: task {result.id}")
                return
            size = services.backup(out, key_file)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{out}: {size:,} bytes, encrypted")
