"""Activities read from other publishers' files before publishers were kept apart were stored
as our projects, and so exported under our name. Their IATI identifier does not start with our
reporting organisation's: mark them as partners' activities of an unknown publisher, so they
leave our export and totals. Importing their file again fills in the publisher."""

from django.conf import settings
from django.db import migrations


def mark(apps, schema_editor):
    Project = apps.get_model("programmes", "Project")
    ours = getattr(settings, "MHIS_IATI_REPORTING_ORG", "XM-DAC-47066") + "-"
    for project in Project.objects.filter(iati_identifier__isnull=False, reporting_org_ref=""):
        if not project.iati_identifier.startswith(ours):
            project.reporting_org_ref = "?"
            project.reporting_org_name = "unknown publisher (read before publishers were kept)"
            project.save(update_fields=["reporting_org_ref", "reporting_org_name"])


class Migration(migrations.Migration):
    dependencies = [("programmes", "0002_iati_partners_and_publishers_detail")]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
