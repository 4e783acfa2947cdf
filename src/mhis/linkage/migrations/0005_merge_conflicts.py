from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0004_pairs_belong_to_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="merge",
            name="conflicts",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
