"""Every person known at each site where they have an event.

A referral linked the person to its receiving site only, and a change of site of an
immunisation, a lab result or an enrolment, or an outreach contact naming a person, linked
none. Exact indicator counts go to the roles that see every person counted at their sites: a
referral sent from a site was counted there, by migration status, for a person the site could
not open. This adds the missing links (and only those: it can run again).
"""

from django.db import migrations
from django.db.models import Exists, OuterRef

# (app, model, site field, reason of the link), as care.services.EVENT_SITES when written.
EVENTS = (
    ("care", "Encounter", "site", "seen"),
    ("care", "Referral", "site", "seen"),
    ("care", "Referral", "to_site", "referred"),
    ("care", "Assessment", "site", "seen"),
    ("care", "Immunisation", "site", "seen"),
    ("care", "LabResult", "site", "seen"),
    ("protection", "Enrolment", "site", "seen"),
    ("outreach", "Contact", "site", "seen"),
)
BATCH = 5000


def link(apps, schema_editor):
    PersonSite = apps.get_model("registry", "PersonSite")
    for app, name, field, reason in EVENTS:
        model = apps.get_model(app, name)
        known = PersonSite.objects.filter(person=OuterRef("person"), site=OuterRef(field))
        missing = list(
            model.objects.filter(person__isnull=False, **{f"{field}__isnull": False})
            .exclude(Exists(known))
            .values_list("person_id", f"{field}_id")
            .order_by()
            .distinct()
        )
        rows = [PersonSite(person_id=person, site_id=site, reason=reason) for person, site in missing]
        PersonSite.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("registry", "0006_refold_keys_of_letters_built_on_stroked_o"),
        ("protection", "0001_initial"),
        ("outreach", "0001_initial"),
    ]

    # Undone, it keeps the links: removing them would hide people from sites where they were seen.
    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
