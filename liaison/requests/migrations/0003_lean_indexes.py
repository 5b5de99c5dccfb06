"""No single-column index on the foreign keys that a composite index already starts with
(req_inbox, req_mine, req_customer, reqevent_timeline, reqevent_provider_kind): one index
write less per key on every create. The indexes are dropped concurrently (see
liaison.core.schema_ops)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


from liaison.core.schema_ops import drop_single_column_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('org', '0002_auditors_group'),
        ('requests', '0002_inbox_open_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='request',
            name='provider_team',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requests_received', to='org.team'),
        ),
        migrations.AlterField(
            model_name='request',
            name='requester',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requests_made', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='request',
            name='requester_team',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requests_made', to='org.team'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='provider_team',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.team'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='request',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='requests.request'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(
        state_operations=state_operations,
        database_operations=[drop_single_column_indexes(
            ("requests", "request", "provider_team"), ("requests", "request", "requester"),
            ("requests", "request", "requester_team"), ("requests", "requestevent", "provider_team"),
            ("requests", "requestevent", "request"))],
    )]
