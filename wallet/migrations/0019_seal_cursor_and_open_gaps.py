# Touches only the sealer's head row (not the append-only ledger tables).

import time

from django.db import migrations, models
from django.db.models import Max


def start_the_cursor_at_the_last_sealed_transaction(apps, schema_editor):
    """A chain sealed by the old sealer: the forward scan goes on from the highest sealed id, and
    everything between the watermark and it is watched for late commits, as before, for one lag."""
    head_model = apps.get_model("wallet", "SealChainHead")
    seal_model = apps.get_model("wallet", "TransactionSeal")
    head = head_model.objects.filter(pk=1).first()
    if head is None:
        return
    highest = seal_model.objects.aggregate(top=Max("transaction_id"))["top"] or 0
    head.cursor = max(highest, head.watermark)
    if head.cursor > head.watermark:
        head.open_gaps = [[head.watermark + 1, head.cursor, time.time()]]
    head.save(update_fields=["cursor", "open_gaps"])


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0018_merged_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="sealchainhead",
            name="cursor",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="sealchainhead",
            name="open_gaps",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(
            start_the_cursor_at_the_last_sealed_transaction, migrations.RunPython.noop
        ),
    ]
