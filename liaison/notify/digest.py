"""The daily digest: notifications a person chose to get "in a daily digest", in one mail.

deliver_pending() parks such rows in state "digest". Once a day (from
LIAISON_DIGEST_HOUR, UTC) this sweep gathers each person's parked rows into one
"notify.digest" notification whose dedupe key is "digest:<date>" — so there is at most
one digest per person per day however often, and on however many workers, the sweep
runs — and marks the gathered rows "digested" in the same transaction. The digest itself
goes out through the outbox like any notification (at-least-once, stable Message-ID).
"""

from django.conf import settings
from django.db import transaction

from .models import Notification
from .services import notify

DIGEST_KIND = "notify.digest"


def _body(rows):
    lines = [f"{len(rows)} notification{'s' if len(rows) != 1 else ''} since your last digest:", ""]
    for row in rows:
        lines.append(f"- {row.subject}")
        if row.link:
            lines.append(f"  {settings.SITE_URL}{row.link}")
    return "\n".join(lines)


def send_digests(now, force=False):
    """Queue today's digest for every person with parked rows; returns how many were queued.

    Before LIAISON_DIGEST_HOUR nothing happens (unless `force`). Rows parked after today's
    digest wait for tomorrow's.
    """
    if not force and now.hour < settings.LIAISON_DIGEST_HOUR:
        return 0
    day = now.date().isoformat()
    people = (Notification.objects.filter(state=Notification.State.DIGEST)
              .values_list("recipient_id", flat=True).distinct())
    queued = 0
    for person_id in list(people):
        with transaction.atomic():
            key = f"digest:{day}"
            if Notification.objects.filter(dedupe_key=f"{key}:{person_id}:email").exists():
                continue  # today's digest is already queued: at most one a day
            rows = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(recipient_id=person_id, state=Notification.State.DIGEST).order_by("created_at", "id"))
            if not rows:
                continue
            notify([person_id], kind=DIGEST_KIND, subject=f"Your Liaison digest for {day}", body=_body(rows),
                   dedupe_key=key, now=now)
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(state=Notification.State.DIGESTED)
            queued += 1
    return queued
