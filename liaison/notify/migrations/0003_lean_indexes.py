"""No single-column index on Notification.recipient: notify_recipient_recent starts with
it. Dropped concurrently (see liaison.core.schema_ops)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from liaison.core.schema_ops import drop_single_column_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('notify', '0002_digest_webhooks_reply'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(
            model_name='notification',
            name='recipient',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='notifications', to=settings.AUTH_USER_MODEL),
        )],
        database_operations=[drop_single_column_indexes(("notify", "notification", "recipient"))],
    )]
