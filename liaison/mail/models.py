"""The inbound mail log: every message that reached any door, and what became of it.

One table is the log, the triage queue, the quarantine and the loop/rate record at once:
a message is never dropped, it only gets a disposition. ``content_hash`` is unique and
covers the Message-ID, so a message delivered twice (same Message-ID *and* same content,
from a retrying MTA or one copy per recipient) is one row; the second delivery only
increments ``duplicates``. ``message_id`` is not unique: another message reusing an id
(a broken mailer, a template) is kept, flagged ``message_id_reused``.
"""

from django.db import models
from django.db.models import Q

from liaison.org.models import Membership, Person, Service
from liaison.requests.models import Request


class Disposition(models.TextChoices):
    REQUEST = "request", "Filed as a new request"
    COMMENT = "comment", "Added to a request as a comment"
    TRIAGE = "triage", "Waiting in triage"
    DISMISSED = "dismissed", "Dismissed from triage"
    AUTO = "auto", "Automatic mail, bounce or list traffic (ignored)"
    OWN = "own", "Our own mail came back (ignored)"
    RATE_LIMITED = "rate_limited", "Over the rate limit (ignored)"
    QUARANTINED = "quarantined", "Quarantined: could not be processed"


class InboundMessageQuerySet(models.QuerySet):
    def triage_visible_to(self, user):
        """Triage items `user` may see: members of the service's team see its items;
        org admins see every item, including mail no service matched."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        items = self.filter(disposition=Disposition.TRIAGE)
        if user.is_org_admin:
            return items
        teams = Membership.objects.filter(person_id=user.pk).values("team_id")
        return items.filter(service__team_id__in=teams)

    def quarantine_visible_to(self, user):
        """The quarantine holds raw mail of any sender: org admins only."""
        if user is None or not user.is_authenticated or not user.is_org_admin:
            return self.none()
        return self.filter(disposition=Disposition.QUARANTINED)


class InboundMessage(models.Model):
    received_at = models.DateTimeField()
    door = models.CharField(max_length=10, help_text="pipe, smtp, imap, retry, api")
    message_id = models.CharField(max_length=500, null=True, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64, unique=True)
    sender = models.CharField(max_length=254, blank=True, db_index=False)
    recipient = models.CharField(max_length=254, blank=True, help_text="The address of ours that matched.")
    subject = models.CharField(max_length=300, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    reason = models.TextField(blank=True)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed = models.BooleanField(default=False, help_text="An automatic confirmation was queued for it.")
    duplicates = models.PositiveIntegerField(default=0)
    message_id_reused = models.BooleanField(
        default=False, help_text="Another message with this Message-ID but other content came first.")
    reply_to = models.CharField(max_length=254, blank=True,
                                help_text="Reply-To addresses that differ from From (never written to).")
    filed_requests = models.ManyToManyField(
        Request, blank=True, related_name="+",
        help_text="Every request this one mail filed, when it went to several services' intake addresses.")
    attempts = models.PositiveSmallIntegerField(default=1)
    handled_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["sender", "received_at"], name="mail_sender_rate"),
            models.Index(fields=["request", "received_at"], name="mail_request_rate",
                         condition=Q(request__isnull=False)),
            models.Index(fields=["disposition", "-received_at"], name="mail_disposition"),
        ]

    def __str__(self):
        return f"{self.sender or '<>'}: {self.subject[:40]} ({self.disposition})"

    @property
    def warnings(self):
        """What a reader of the request or the triage item should know about this mail."""
        out = []
        if self.reply_to:
            out.append(f"Reply-To ({self.reply_to}) differs from From ({self.sender or 'none'}): Liaison answers "
                       "only the sender's directory address.")
        if self.message_id_reused:
            out.append(f"Its Message-ID <{self.message_id}> was used before by a different message: "
                       "kept as a message of its own.")
        return out
