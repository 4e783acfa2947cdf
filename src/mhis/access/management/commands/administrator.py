from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mhis.access.administration import make_administrator


class Command(BaseCommand):
    help = (
        "Make USERNAME an administrator of the places with the codes given (an ISO country "
        "code that is not yet a place adds the country). A new user gets a temporary password, "
        "printed once, to change at their first log-in. Everything else is done in the browser, "
        "under Users and places."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("places", nargs="+", metavar="PLACE_CODE")

    def handle(self, *args: Any, username: str, places: list[str], **options: Any) -> None:
        try:
            user, password, added = make_administrator(username, places)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for code in added:
            self.stdout.write(f"Country {code} added.")
        self.stdout.write(f"{user.username} is an administrator of {', '.join(places)}.")
        if password:
            self.stdout.write(f"Temporary password (to change at first log-in): {password}")
