"""Search keys rebuilt for names in Myanmar script, now romanised syllable by syllable in the
spellings of passports (နော်ဝါဝါမိုး: Naw Wa Wa Moe, not "Nay Avava Moe") and found without
their title (ဝါဝါမိုး). The Latin spelling stored with a name is kept as it is: it may have
been typed from a document."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from mhis import names as namelib

    PersonName = apps.get_model("registry", "PersonName")
    NameKey = apps.get_model("registry", "NameKey")
    people = sorted(
        set(PersonName.objects.filter(script="Mymr").values_list("person_id", flat=True))
    )
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        keys: dict[int, set[str]] = {pk: set() for pk in chunk}
        for person_id, text, latin in PersonName.objects.filter(person_id__in=chunk).values_list(
            "person_id", "text", "latin"
        ):
            keys[person_id] |= namelib.index_keys(text, latin)
        NameKey.objects.filter(person_id__in=chunk).delete()
        NameKey.objects.bulk_create(
            [NameKey(person_id=pk, key=k) for pk in chunk for k in sorted(keys[pk])]
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_consent_withdrawn_by")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
