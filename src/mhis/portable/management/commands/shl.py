from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from mhis.portable import links
from mhis.portable.models import SharedLink
from mhis.qrcodes import qr_png, qr_svg
from mhis.registry.models import Person


class Command(BaseCommand):
    help = "SMART Health Links: give a person their summary as a link and a QR code; revoke one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new link to the person's summary")
        create.add_argument("person", help="the person's id (UUID)")
        create.add_argument("--user", required=True, help="who shares the record (logged)")
        create.add_argument("--expires", default="30d", help="30d, 12h, 2w or YYYY-MM-DD")
        create.add_argument("--passcode", default="", help="asked of whoever opens the link")
        create.add_argument("--label", default="", help="shown to whoever opens the link")
        create.add_argument("--base-url", help="where people reach this server (MHIS_PUBLIC_URL)")
        create.add_argument("--qr", help="write the QR code to this file (.svg or .png)")
        revoke = sub.add_parser("revoke", help="make a link open nothing any more")
        revoke.add_argument("link", type=int, help="the link's number")
        revoke.add_argument("--user", required=True, help="who revokes it")

    def handle(self, *args, action, user, **options):
        who = get_user_model().objects.filter(username=user).first()
        if who is None:
            raise CommandError(f"--user: no user {user}")
        try:
            if action == "revoke":
                link = (
                    SharedLink.objects.filter(pk=options["link"]).select_related("person").first()
                )
                if link is None:
                    raise CommandError(f"link: no link {options['link']}")
                links.revoke(who, link)
                self.stdout.write(f"revoked link {link.pk}")
                return
            link = links.create_link(
                who,
                options["person"],
                expires=options["expires"],
                passcode=options["passcode"],
                label=options["label"],
            )
            base = (options["base_url"] or "").rstrip("/") or links.base_url()
        except Person.DoesNotExist:
            raise CommandError(
                f"person: no person {options.get('person')} in {user}'s places"
            ) from None
        except ValidationError as exc:
            lines = [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
            raise CommandError("\n".join(lines)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        url = links.viewer_url(link, base)
        if options["qr"]:
            path = Path(options["qr"])
            if path.suffix.lower() == ".png":
                path.write_bytes(qr_png(url))
            else:
                path.write_text(qr_svg(url), encoding="utf-8")
            self.stdout.write(f"wrote {path}")
        self.stdout.write(f"link {link.pk}, expires {link.expires_at:%Y-%m-%d %H:%M %Z}")
        self.stdout.write(links.uri(link, base))
        self.stdout.write(url)
