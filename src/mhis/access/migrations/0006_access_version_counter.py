"""The access version counter and its triggers (mhis.access.versions, ADR 0034)."""

from django.db import migrations


def make(apps, schema_editor):
    from mhis.access.versions import ensure

    ensure(schema_editor.connection)


def unmake(apps, schema_editor):
    from mhis.access.versions import TABLE, WATCHED

    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table, _columns in WATCHED:
            if vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{table} ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{table}_{event}")
        if vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_bump()")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0005_user_phone_language"),
        ("places", "0001_initial"),
    ]

    operations = [migrations.RunPython(make, unmake)]
