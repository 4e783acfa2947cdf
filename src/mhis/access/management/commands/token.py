from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mhis.access.models import ApiToken, User
from mhis.access.services import create_token, revoke_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens: `mhis token create USERNAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "revoke":
            rows = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if len(rows) != 1:
                raise CommandError(f"No single active token starts with {options['prefix']!r}.")
            revoke_token(rows[0])
            self.stdout.write(f"Revoked {rows[0].prefix}…")
            return
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        if action == "create":
            _, token = create_token(user, options["name"])
            self.stdout.write(token)
        else:
            for row in user.api_tokens.order_by("created_at"):
                state = "revoked" if row.revoked_at else "active"
                self.stdout.write(f"{row.prefix}…\t{row.name}\t{row.created_at:%Y-%m-%d}\t{state}")
