from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhis.intake import fieldforms
from mhis.places.models import Place, PlaceKind


class Command(BaseCommand):
    help = (
        "Write the field forms as XLSForm workbooks (for ODK Central or KoboToolbox), with "
        "this installation's sites as the site choices."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default=".", help="directory to write the forms to")
        parser.add_argument(
            "--under", default="", help="only the sites under this place code (e.g. a country)"
        )

    def handle(self, *args, out, under, **options):
        sites = Place.objects.filter(kind=PlaceKind.SITE).order_by("name")
        if under:
            top = Place.objects.filter(code=under).first()
            if top is None:
                raise CommandError(f"--under: no place {under}")
            sites = sites.filter(path__startswith=top.path)
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        choices = list(sites.values_list("code", "name"))
        for form in fieldforms.FORMS.values():
            path = fieldforms.write(form, directory / f"{form.form_id}.xlsx", choices)
            self.stdout.write(f"wrote {path}")
