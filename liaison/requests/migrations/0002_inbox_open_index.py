# The team inbox at a million requests: a partial index over open requests, in page order
# (see Request.Meta and bench/requests_inbox.py). On PostgreSQL it builds in ~3 s per
# million requests and holds a write lock on the request table meanwhile.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("requests", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                condition=models.Q(("status__in", ["submitted", "acknowledged", "committed"])),
                fields=["provider_team", "due_date", "id", "status", "submitted_at", "open_blockers"],
                name="req_inbox_open",
            ),
        ),
    ]
