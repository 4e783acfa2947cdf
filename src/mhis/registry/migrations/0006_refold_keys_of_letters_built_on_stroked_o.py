"""Search keys rebuilt for names with ǿ or Ǿ, which folding used to leave as ø (not o)."""

from django.db import migrations
from django.db.models import Q

LETTERS = ("ǿ", "Ǿ")


def rebuild(apps, schema_editor):
    from mhis import names as namelib

    PersonName = apps.get_model("registry", "PersonName")
    NameKey = apps.get_model("registry", "NameKey")
    affected = Q()
    for letter in LETTERS:
        affected |= Q(text__contains=letter) | Q(latin__contains=letter)
    people = set(PersonName.objects.filter(affected).values_list("person_id", flat=True))
    for person_id in sorted(people):
        keys: set[str] = set()
        for name in PersonName.objects.filter(person_id=person_id):
            keys |= namelib.index_keys(name.text, name.latin)
        NameKey.objects.filter(person_id=person_id).delete()
        NameKey.objects.bulk_create([NameKey(person_id=person_id, key=k) for k in sorted(keys)])


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_search_indexes")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
