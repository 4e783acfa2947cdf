from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mhis.access.models import User
from mhis.access.services import reset_second_factor


class Command(BaseCommand):
    help = (
        "Second factor: `mhis twofactor reset USERNAME` forgets the user's authenticator app "
        "(a lost phone); their next log-in sets up a new one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser("reset", help="forget a user's authenticator app")
        reset.add_argument("username")

    def handle(self, *args: str, action: str, username: str, **options: Any) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        removed = reset_second_factor(user)
        self.stdout.write(f"{user.username}: {removed} authenticator(s) forgotten.")
