"""Requests between teams: the current state (Request) and the history (RequestEvent).

The Request row holds the denormalised *current* state — status, due date, counters —
so that a team inbox over a million rows is one indexed query. The history lives in
append-only RequestEvent rows (who did what, when, with which data); scorecards are
aggregations over those rows and the request timestamps, never loops.

Slips, blockers, warnings, escalations and thanks have their own small tables as well,
because the pages list them and the analytics count them.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from liaison.org.models import Person, Service, Team
from liaison.org.visibility import scope_team_ids, team_work_condition  # noqa: F401 - scope_team_ids moved there


class Status(models.TextChoices):
    FORECAST = "forecast", "Forecast (heads-up)"
    SUBMITTED = "submitted", "Submitted"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    COMMITTED = "committed", "Committed"
    DECLINED = "declined", "Declined"
    DELIVERED = "delivered", "Delivered"
    ACCEPTED = "accepted", "Accepted"
    WITHDRAWN = "withdrawn", "Withdrawn"


#: Waiting on the provider: the states in which the request is "open work".
OPEN_STATUSES = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.COMMITTED)
#: Finished, one way or another: nothing more happens but comments and thanks.
CLOSED_STATUSES = (Status.DECLINED, Status.ACCEPTED, Status.WITHDRAWN)


class DateKind(models.TextChoices):
    HARD = "hard", "Hard date"
    FLEXIBLE = "flexible", "Flexible"


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests `user` may see: the one helper every door uses.

        The requester's team and the provider team (by membership), the requester
        themselves, and leads of those teams and of their ancestors, and their managers
        up the Person.manager chain (liaison.org.visibility, the one rule). Everyone else
        sees nothing (pages and API: 404).
        """
        condition = team_work_condition(user, "requester_team_id", "provider_team_id", person_field="requester_id")
        return self.none() if condition is None else self.filter(condition)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Request(models.Model):
    """One ask from a customer team to a service (and so to its provider team)."""

    # No single-column index on requester, requester_team or provider_team: the composite
    # indexes in Meta start with them (req_mine, req_customer, req_inbox) and serve the same
    # look-ups; every index is one more write on each create (bench/README.md, issue 3).
    requester = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requests_made", db_index=False)
    requester_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="requests_made", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="requests")
    # = service.team at creation; denormalised so the inbox needs no join.
    provider_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="requests_received",
                                      db_index=False)
    provider_owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests_owned",
        help_text="The provider who acknowledged or committed: reminders go to them.")

    title = models.CharField(max_length=200)
    context = models.TextField(help_text="Why it matters to us, and what happens if it is missed.")
    need_by = models.DateField()
    date_kind = models.CharField(max_length=10, choices=DateKind.choices)
    options = models.TextField(blank=True, help_text="Acceptable alternatives: 'any day that week', ...")
    milestone = models.CharField(max_length=300, blank=True,
                                 help_text="The customer commitment or milestone this serves.")

    status = models.CharField(max_length=20, choices=Status.choices)
    notice_business_days = models.IntegerField(default=0)
    short_notice = models.BooleanField(default=False)
    short_notice_owned = models.TextField(blank=True, help_text="The requester's sentence owning short notice.")

    # Heads-up forecast
    probability = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)])
    confirm_by = models.DateField(null=True, blank=True)
    confirm_reminded_at = models.DateTimeField(null=True, blank=True)

    committed_date = models.DateField(null=True, blank=True)
    # committed_date when there is one, else need_by: what the inbox sorts and buckets on.
    due_date = models.DateField()
    open_blockers = models.PositiveSmallIntegerField(default=0)
    slip_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    decline_reason = models.TextField(blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["provider_team", "status", "due_date"], name="req_inbox"),
            # The team inbox at scale (bench/requests_inbox.py): a provider team's *open*
            # rows in page order, with what the tab counts filter on, so a page is an
            # ordered index scan stopped at 25 rows and the counts an index-only scan.
            models.Index(fields=["provider_team", "due_date", "id", "status", "submitted_at", "open_blockers"],
                         name="req_inbox_open", condition=Q(status__in=["submitted", "acknowledged", "committed"])),
            models.Index(fields=["requester", "-created_at"], name="req_mine"),
            models.Index(fields=["requester_team", "status", "due_date"], name="req_customer"),
            models.Index(fields=["status", "committed_date"], name="req_status_committed"),
            models.Index(fields=["status", "confirm_by"], name="req_forecast_confirm",
                         condition=Q(status="forecast")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(probability__isnull=True) | Q(probability__gte=1, probability__lte=100),
                                   name="request_probability_1_100"),
            models.CheckConstraint(condition=Q(quality__isnull=True) | Q(quality__gte=1, quality__lte=5),
                                   name="request_quality_1_5"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self):
        """The request's page. A plain path so notify links need no URLconf of the web pages."""
        return f"/requests/{self.pk}/"

    @property
    def is_forecast(self):
        return self.status == Status.FORECAST

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Request events are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError("Request events are append-only: they cannot be deleted.")


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    FORECAST_CHANGED = "forecast_changed", "Forecast changed"
    CONFIRMED = "confirmed", "Confirmed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    COMMITTED = "committed", "Committed"
    SLIPPED = "slipped", "Slipped"
    DECLINED = "declined", "Declined"
    PROGRESS = "progress", "Progress update"
    BLOCKED = "blocked", "Blocker raised"
    UNBLOCKED = "unblocked", "Blocker cleared"
    WARNED = "warned", "Escalation warning"
    ESCALATED = "escalated", "Escalated"
    DELIVERED = "delivered", "Delivered"
    REOPENED = "reopened", "Reopened for rework"
    ACCEPTED = "accepted", "Accepted"
    THANKED = "thanked", "Thanked"
    COMMENTED = "commented", "Comment"
    ATTACHED = "attached", "Attachment added"


class RequestEvent(models.Model):
    """One thing that happened to a request. Append-only: never updated, never deleted.

    The two team ids are copied from the request so that scorecards per provider or per
    customer team ("slips per provider team per month") aggregate events without a join.
    """

    # request and provider_team: indexed by reqevent_timeline and reqevent_provider_kind (Meta).
    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    provider_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", db_index=False)
    requester_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["request", "at"], name="reqevent_timeline"),
            models.Index(fields=["kind", "at"], name="reqevent_kind_at"),
            models.Index(fields=["provider_team", "kind", "at"], name="reqevent_provider_kind"),
        ]

    def __str__(self):
        return f"{self.kind} on #{self.request_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Request events are append-only: an existing event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Request events are append-only: an event cannot be deleted.")

    def chat_teams(self):
        """The teams a chat message about this event goes to (liaison.notify.chat)."""
        return (self.provider_team_id, self.requester_team_id)

    def chat_message(self):
        """This event as a chat message: liaison.notify.webhooks.notify_team's arguments."""
        request = self.request
        actor = f"{self.actor} " if self.actor_id else ""
        text = self.data.get("text") or self.data.get("note") or ""
        return {"kind": f"request.{self.kind}",
                "subject": f"#{request.pk} {request.title}: {actor}{self.get_kind_display().lower()}",
                "body": str(text)[:1000], "link": request.get_absolute_url(),
                "dedupe_key": f"request-event:{self.pk}", "now": self.at}


class Slip(models.Model):
    """A changed commitment: old date, new date, reason, who and when. Every one is kept."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="slips")
    old_date = models.DateField()
    new_date = models.DateField()
    reason = models.TextField()
    by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"#{self.request_id}: {self.old_date} → {self.new_date}"


class Blocker(models.Model):
    """Something in the way, visible to both sides until someone clears it."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="blockers")
    description = models.TextField()
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    cleared_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self):
        return f"Blocker on #{self.request_id}: {self.description[:40]}"

    @property
    def is_open(self):
        return self.cleared_at is None


class EscalationWarning(models.Model):
    """'If this is not settled by <deadline>, I will ask <manager> for help.'"""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="escalation_warnings")
    by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="Whom the requester will ask: the provider lead's manager.")
    deadline = models.DateField(help_text="Escalation is possible from the day after this date.")
    message = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"Warning on #{self.request_id} until {self.deadline}"


class Escalation(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="escalations")
    warning = models.ForeignKey(EscalationWarning, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="escalations")
    by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    emergency_override = models.BooleanField(default=False)
    justification = models.TextField(blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"Escalation of #{self.request_id}{' (emergency)' if self.emergency_override else ''}"


class Thanks(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="thanks")
    by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    impact = models.TextField(blank=True, help_text="What the delivery made possible.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "thanks"

    def __str__(self):
        return f"Thanks on #{self.request_id}"


class Attachment(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="requests/%Y/%m/")
    name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.name


class ServicePolicy(models.Model):
    """Per-service request rules; a service without a row uses the defaults below."""

    DEFAULT_REMINDER_DAYS = "3,1"
    DEFAULT_GRACE_DAYS = 2

    service = models.OneToOneField(Service, on_delete=models.CASCADE, primary_key=True,
                                   related_name="request_policy")
    reminder_days_before = models.CharField(
        max_length=50, default=DEFAULT_REMINDER_DAYS, blank=True,
        help_text="Business days before a committed date to remind the provider, e.g. '3,1'; empty = none.")
    overdue_reminders = models.BooleanField(default=True, help_text="Remind daily once a commitment is overdue.")
    escalation_grace_days = models.PositiveSmallIntegerField(
        default=DEFAULT_GRACE_DAYS, validators=[MaxValueValidator(30)],
        help_text="Business days between an escalation warning and the escalation.")

    class Meta:
        verbose_name_plural = "service policies"

    def __str__(self):
        return f"Request policy of {self.service_id}"

    @property
    def reminder_days(self):
        """The reminder offsets as sorted ints, largest first ([3, 1])."""
        days = {int(part) for part in self.reminder_days_before.replace(" ", "").split(",") if part.isdigit()}
        return sorted(days, reverse=True)

    @classmethod
    def for_service(cls, service):
        policy = getattr(service, "_request_policy_cache", None)
        if policy is None:
            policy = cls.objects.filter(service=service).first() or cls(service=service)
            service._request_policy_cache = policy
        return policy

