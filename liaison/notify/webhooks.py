"""Team chat webhooks: a JSON POST per event to each active webhook of a team.

Payload: ``{"text": ...}`` is what Slack incoming webhooks require and what Microsoft
Teams incoming webhooks (MessageCard) accept; we add the MessageCard fields Teams shows
(``@type``, ``@context``, ``summary``, ``title``) and our own ``liaison`` object for
other receivers; Slack ignores fields it does not know.

Signature: ``X-Liaison-Signature: sha256=<hex>``, the HMAC-SHA256 under the webhook's
secret of ``"<X-Liaison-Timestamp>.<body>"`` (the timestamp makes a replay detectable).

Delivery is an outbox like mail: one WebhookDelivery row per (event, webhook) with a
unique key; the `notify.webhooks` sweep POSTs due rows, retries a failure with back-off
(1, 2, 4, 8 ... minutes), and after TeamWebhook.MAX_FAILURES failures in a row disables
the webhook and tells the team lead by notification.
"""

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from .models import TeamWebhook, WebhookDelivery
from .services import notify

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
TIMEOUT = 5


def add_webhook(team, *, url, now, secret=""):
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": "Give the full http(s) address of the incoming webhook."}) from None
    return TeamWebhook.objects.create(team=team, url=url, secret=secret or secrets.token_hex(24), created_at=now)


def payload(*, kind, subject, body="", link=""):
    url = f"{settings.SITE_URL}{link}" if link else ""
    text = subject + (f"\n{body}" if body else "") + (f"\n<{url}>" if url else "")
    return {"text": text, "@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": subject,
            "title": subject, "liaison": {"kind": kind, "subject": subject, "body": body, "url": url}}


def notify_team(team_id, *, kind, subject, body="", link="", dedupe_key, now):
    """Queue a POST to each active webhook of the team; idempotent by dedupe_key. Returns the count."""
    hooks = list(TeamWebhook.objects.filter(team_id=team_id, active=True).values_list("pk", flat=True))
    data = payload(kind=kind, subject=subject, body=body, link=link)
    rows = [WebhookDelivery(webhook_id=pk, kind=kind, payload=data, dedupe_key=f"{dedupe_key}:hook{pk}"[:255],
                            created_at=now, due_at=now) for pk in hooks]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def sign(secret, timestamp, body):
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def post(webhook, data, now):
    body = json.dumps(data, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    req = urllib.request.Request(webhook.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Liaison-Webhook/1",
        "X-Liaison-Timestamp": timestamp, "X-Liaison-Signature": sign(webhook.secret, timestamp, body)})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
        return response.status


def _disable(webhook, now, error):
    webhook.active = False
    webhook.disabled_at = now
    webhook.disabled_reason = f"{webhook.consecutive_failures} failed deliveries in a row; last: {error}"[:2000]
    webhook.save(update_fields=["active", "disabled_at", "disabled_reason"])
    lead = webhook.team.lead_id
    if lead:
        notify([lead], kind="notify.webhook_disabled", subject=f"Chat webhook of {webhook.team} disabled",
               body=(f"Liaison stopped posting to {webhook.url}: {webhook.disabled_reason}\n"
                     "Check the address and turn it back on in the team's webhook settings."),
               link="/notifications/webhooks/", dedupe_key=f"webhook:{webhook.pk}:disabled:{now.isoformat()}", now=now)


def deliver_webhooks(now, limit=200):
    counts = {"sent": 0, "failed": 0}
    last_id = 0
    for _ in range(limit):
        with transaction.atomic():
            row = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",)).select_related("webhook")
                   .filter(state=WebhookDelivery.State.PENDING, due_at__lte=now, id__gt=last_id).order_by("id").first())
            if row is None:
                break
            last_id = row.pk
            hook = row.webhook
            if not hook.active:
                row.state = WebhookDelivery.State.FAILED
                row.last_error = "webhook disabled"
                row.save(update_fields=["state", "last_error"])
                continue
            row.attempts += 1
            try:
                status = post(hook, row.payload, now)
                if not 200 <= status < 300:
                    raise OSError(f"HTTP {status}")
            except (OSError, urllib.error.URLError, ValueError) as error:
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = WebhookDelivery.State.FAILED
                else:
                    row.due_at = now + timedelta(minutes=2 ** (row.attempts - 1))
                row.save(update_fields=["attempts", "last_error", "state", "due_at"])
                hook.consecutive_failures += 1
                hook.save(update_fields=["consecutive_failures"])
                if hook.consecutive_failures >= TeamWebhook.MAX_FAILURES:
                    _disable(hook, now, row.last_error)
                counts["failed"] += 1
                continue
            row.state = WebhookDelivery.State.SENT
            row.sent_at = now
            row.last_error = ""
            row.save(update_fields=["state", "sent_at", "attempts", "last_error"])
            if hook.consecutive_failures:
                hook.consecutive_failures = 0
                hook.save(update_fields=["consecutive_failures"])
            counts["sent"] += 1
    return counts
