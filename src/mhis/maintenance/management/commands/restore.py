from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.maintenance import services


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into an empty, migrated database (run `mhis migrate` first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="a file written by `mhis backup`")
        parser.add_argument(
            "--key-file", type=Path, required=True, help="the key it was written with"
        )

    def handle(self, *args, source, key_file, **options):
        try:
            written = services.restore(source, key_file)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{written:,} rows restored from {source}")
