from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.maintenance import services


class Command(BaseCommand):
    help = "Write an encrypted backup of the whole database (restore it with `mhis restore`)."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="the backup file to write")
        parser.add_argument("--key-file", type=Path, required=True,
                            help="the operator's backup key (see --new-key)")  # fmt: skip
        parser.add_argument("--new-key", action="store_true",
                            help="first write a new key to --key-file (which must not exist)")  # fmt: skip

    def handle(self, *args, out, key_file, new_key, **options):
        try:
            if new_key:
                services.new_key(key_file)
                self.stdout.write(f"New key in {key_file}: keep a copy away from the backups.")
            size = services.backup(out, key_file)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{out}: {size:,} bytes, encrypted")
