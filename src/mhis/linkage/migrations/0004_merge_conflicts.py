from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0003_review_decisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="merge",
            name="conflicts",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
