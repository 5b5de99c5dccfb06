"""The outbox: one Notification row per recipient and channel, and per-person preferences.

notify knows people and channels only. A notification carries its own subject, body and
link, so this app never imports the domains that use it (requests, agenda, ...).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """A message to one person on one channel; sent by the `notify.deliver` sweep.

    `dedupe_key` is unique: the same logical notification ("the 3-day reminder for
    request 12 due 2026-03-06, to person 7 by email") can be created any number of times
    by any number of workers and exists once. `due_at` lets a domain schedule a message
    for later; a failed send is retried with back-off by moving `due_at` forward.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed (turned off by the recipient)"
        DIGEST = "digest", "Waiting for the recipient's daily digest"
        DIGESTED = "digested", "Sent in a daily digest"
        APP = "app", "Shown in the app only (no mail, by the recipient's choice)"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"

    # Indexed by notify_recipient_recent (Meta), which starts with it.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", db_index=False)
    kind = models.CharField(max_length=100, help_text="Dotted slug, e.g. request.reminder.due")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="Absolute URL path, e.g. /requests/12/")
    dedupe_key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=500, blank=True,
                                   help_text="Message-ID this mail answers (a confirmation answers the request mail).")
    # In the app: every notification also shows on the person's notifications page until
    # read. Both columns are nullable so the hot-path INSERTs that leave them out still work.
    read_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False,
                             help_text="The recipient's team this is about (the notifications page filters by it).")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep's hot path: only pending rows, oldest due first.
            models.Index(fields=["due_at", "id"], condition=Q(state="pending"), name="notify_pending_due"),
            models.Index(fields=["recipient", "-created_at"], name="notify_recipient_recent"),
            # The header's unread count, asked every few seconds by every open page.
            models.Index(fields=["recipient", "due_at"], condition=Q(read_at__isnull=True), name="notify_unread"),
        ]

    def __str__(self):
        return f"{self.kind} to #{self.recipient_id} ({self.state})"

    @property
    def message_id(self):
        """Stable per row: a resend after a crash carries the same Message-ID."""
        return f"<notification-{self.pk}@{settings.LIAISON_MAIL_DOMAIN}>"


class NotificationPreference(models.Model):
    """A person's choice for a kind of notification.

    `kind` is an exact kind ("request.reminder.due"), a dotted prefix ("request.reminder"
    covers every reminder) or "*" (everything); the most specific match wins.
    """

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", "Send immediately"
        OFF = "off", "Off"
        DIGEST = "digest", "In a daily digest"  # after OFF, so the existing radio ids stay put
        APP = "app", "In the app only"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="notification_preferences")
    kind = models.CharField(max_length=100)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        ordering = ["person", "kind"]
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="unique_preference_per_kind")]

    def __str__(self):
        return f"{self.person_id}: {self.kind} → {self.mode}"


class TeamWebhook(models.Model):
    """An outgoing chat webhook of a team (Slack or Teams incoming webhook, or any HTTP endpoint).

    Every POST carries ``X-Liaison-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``
    and ``X-Liaison-Timestamp`` so a receiver can check it came from us. After
    ``MAX_FAILURES`` failed deliveries in a row the webhook is disabled and the team lead told.
    """

    MAX_FAILURES = 5

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["team", "id"]

    def __str__(self):
        return f"Webhook of team #{self.team_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One POST to one webhook: an outbox row like Notification (unique key, back-off)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(TeamWebhook, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=100)
    payload = models.JSONField()
    dedupe_key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["due_at", "id"], condition=Q(state="pending"), name="webhook_pending_due")]

    def __str__(self):
        return f"{self.kind} → webhook #{self.webhook_id} ({self.state})"
