"""Mappings, jobs and source records belong to the places of whoever imported them.

Records already imported are given the namespace of the people who imported their source: a
source and kind imported only by people of the same places goes to those places. One that
people of different places imported under the same name stays without an owner; its records
are taken into a namespace on the next import of a user who can see them
(docs/decisions/0012-import-namespaces.md).
"""

import hashlib

from django.db import migrations, models


def _namespace(place_ids) -> str:
    """As mhis.intake.services.namespace, frozen for this migration."""
    text = "places:" + ",".join(str(i) for i in sorted(place_ids))
    return text if len(text) <= 100 else "places:sha256:" + hashlib.sha256(text.encode()).hexdigest()


def give_owners(apps, schema_editor):
    Job = apps.get_model("intake", "Job")
    Mapping = apps.get_model("intake", "Mapping")
    SourceRecord = apps.get_model("intake", "SourceRecord")
    Scope = apps.get_model("access", "Scope")
    places: dict[int, list[int]] = {}
    for user_id, place_id in Scope.objects.values_list("user_id", "place_id"):
        places.setdefault(user_id, []).append(place_id)
    for user_id in Job.objects.exclude(started_by=None).values_list("started_by", flat=True).distinct():
        Job.objects.filter(started_by=user_id).update(owner=_namespace(places.get(user_id, [])))
    owners: dict[tuple[str, str], set[str]] = {}
    for source, kind, owner in Job.objects.values_list("source", "kind", "owner").distinct():
        owners.setdefault((source, kind), set()).add(owner)
    for (source, kind), found in owners.items():
        if len(found) == 1 and "" not in found:
            (owner,) = found
            SourceRecord.objects.filter(source=source, kind=kind).update(owner=owner)
            Mapping.objects.filter(source=source, kind=kind).update(owner=owner)


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0002_initial'),
        ('intake', '0002_source_record_of_any_kind'),
        ('registry', '0006_refold_keys_of_letters_built_on_stroked_o'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='mapping',
            name='mapping_once',
        ),
        migrations.RemoveConstraint(
            model_name='sourcerecord',
            name='sourcerecord_once',
        ),
        migrations.AddField(
            model_name='job',
            name='owner',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='mapping',
            name='owner',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='owner',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddConstraint(
            model_name='mapping',
            constraint=models.UniqueConstraint(fields=('owner', 'source', 'kind'), name='mapping_once_per_owner'),
        ),
        migrations.AddConstraint(
            model_name='sourcerecord',
            constraint=models.UniqueConstraint(fields=('owner', 'source', 'kind', 'key'), name='sourcerecord_once_per_owner'),
        ),
        migrations.RunPython(give_owners, migrations.RunPython.noop),
    ]
