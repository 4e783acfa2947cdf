"""A job knows whether its rows carry migration status (episodes; people with an episode
column), so that a follower who may not see status is not shown them. The columns of a job
imported before are not known: its people and episodes rows are taken to carry status."""

from django.db import migrations, models


def mark_jobs(apps, schema_editor):
    Job = apps.get_model("intake", "Job")
    Job.objects.filter(kind__in=("people", "episodes")).update(holds_status=True)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_import_namespaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="holds_status",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_jobs, migrations.RunPython.noop),
    ]
