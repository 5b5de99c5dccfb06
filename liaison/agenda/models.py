# ruff: noqa: RUF001 -- typographic dashes, minus and times signs are meant for readers
"""The agenda: what service teams plan to change, what customer teams plan to do, and where they collide.

Times are stored in UTC; each item also keeps the time zone it was planned in, so it can
be shown (and edited) as its author meant it, while pages show it in the viewer's zone.

Visibility: an agenda item is visible to the whole organisation unless it is confidential;
then only to the owning team and the teams it names (`shared_with`). One `visible_to(user)`
per manager; views and API handlers never filter by hand.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from liaison.org.models import Membership, Service, Team, validate_time_zone

MAX_WINDOW = timedelta(days=90)


def _signed_in(user):
    return user is not None and user.is_authenticated and user.is_active


def _team_ids(user):
    return Membership.objects.filter(person=user).values("team_id")


class AgendaItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everyone signed in sees public items; confidential ones only the owning and named teams."""
        if not _signed_in(user):
            return self.none()
        teams = _team_ids(user)
        shared = self.model.shared_with.through.objects.filter(team_id__in=teams).values(
            f"{self.model._meta.model_name}_id")
        return self.filter(Q(confidential=False) | Q(team_id__in=teams) | Q(pk__in=shared))

    def overlapping(self, start, end):
        return self.filter(start__lt=end, end__gt=start)


class AgendaItem(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField(db_index=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="The zone the window was planned in.")
    confidential = models.BooleanField(
        default=False, help_text="Only the owning team and the teams named below see it.")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                           help_text="Stable iCalendar UID.")
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE, bumped on reschedule.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["start", "pk"]

    def __str__(self):
        return self.title

    @property
    def duration(self):
        return self.end - self.start


class Change(AgendaItem):
    """A planned change announced by a service team."""

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELLED = "cancelled", "Cancelled"
        DONE = "done", "Done"

    LIVE = (Status.DRAFT, Status.PUBLISHED, Status.RESCHEDULED)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="changes")
    services = models.ManyToManyField(Service, related_name="changes")
    shared_with = models.ManyToManyField(Team, blank=True, related_name="shared_changes")
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    rollback_plan = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    announced_at = models.DateTimeField(null=True, blank=True, help_text="When it was first published.")
    notice_from = models.DateTimeField(
        null=True, blank=True,
        help_text="Since when the customers have known of the current window (see services.notice_basis).")
    notice_days = models.IntegerField(null=True, blank=True, db_index=True,
                                      help_text="Business days between notice_from and the window start.")

    class Meta(AgendaItem.Meta):
        indexes = [models.Index(fields=["start", "end"], name="change_window")]

    def get_absolute_url(self):
        return reverse("agenda:change", args=[self.pk])

    @property
    def is_live(self):
        return self.status in self.LIVE

    @property
    def late_notice(self):
        return self.notice_days is not None and self.notice_days < settings.LIAISON_MIN_CHANGE_NOTICE_DAYS


class Reschedule(models.Model):
    """Every move of a change's window, kept: the history seed 002 asks for."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="reschedules")
    old_start = models.DateTimeField()
    old_end = models.DateTimeField()
    new_start = models.DateTimeField()
    new_end = models.DateTimeField()
    sequence = models.PositiveIntegerField()
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.change} moved to {self.new_start:%Y-%m-%d %H:%M}"


class Event(AgendaItem):
    """A customer team's event or commitment, and the services it cannot do without."""

    class Criticality(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="events")
    services = models.ManyToManyField(Service, related_name="events")
    shared_with = models.ManyToManyField(Team, blank=True, related_name="shared_events")
    criticality = models.CharField(max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM)
    audience = models.CharField(max_length=200, blank=True, help_text='e.g. "100+ customer organisations"')
    buffer_hours = models.PositiveIntegerField(default=0, help_text="No changes this many hours before.")
    guard_start = models.DateTimeField(db_index=True, help_text="start − buffer: where changes must stop.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED, db_index=True)

    class Meta(AgendaItem.Meta):
        indexes = [models.Index(fields=["guard_start", "end"], name="event_guard_window")]

    def save(self, *args, **kwargs):
        if self.start is not None:
            self.guard_start = self.start - timedelta(hours=self.buffer_hours or 0)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("agenda:event", args=[self.pk])


class FreezeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Freeze windows are rules for everyone: visible to all signed in."""
        return self if _signed_in(user) else self.none()

    def overlapping(self, start, end):
        return self.filter(start__lt=end, end__gt=start)


class FreezeWindow(models.Model):
    """No changes in this window: organisation-wide (no services) or on the services named."""

    title = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="freezes")
    services = models.ManyToManyField(Service, blank=True, related_name="freezes")
    org_wide = models.BooleanField(default=False)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField(db_index=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FreezeQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("agenda:freeze_list") + f"#freeze-{self.pk}"


class MaintenanceQuerySet(FreezeQuerySet):
    pass


class MaintenanceWindow(models.Model):
    """When a service prefers its changes to happen: weekly, weekday + local time range."""

    WEEKDAYS = [(1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday"),
                (6, "Saturday"), (7, "Sunday")]

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance_windows")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start_time = models.TimeField()
    end_time = models.TimeField()
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    objects = MaintenanceQuerySet.as_manager()

    class Meta:
        ordering = ["service", "weekday", "start_time"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M} {self.time_zone}"


HIDDEN_ITEM = "a confidential item of another team"


class ConflictQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A conflict is visible to whoever may see both its items, to the teams of either side
        (owning or named in `shared_with`), and to org admins.

        Each conflict comes with `change_seen` and `event_seen`: whether the viewer may see
        that side. A side they may not see (a confidential item of another team) is shown
        only as HIDDEN_ITEM with its times (Conflict.change_label, .against_label,
        .shown_reason), so that both teams of two confidential items can still settle
        their collision. A freeze conflict follows its change, as before.
        """
        if not _signed_in(user):
            return self.none()
        annotated = self.annotate(
            change_seen=models.Exists(Change.objects.visible_to(user).filter(pk=models.OuterRef("change_id"))),
            event_seen=models.Exists(Event.objects.visible_to(user).filter(pk=models.OuterRef("event_id"))))
        if getattr(user, "is_org_admin", False):
            return annotated
        teams = _team_ids(user)
        change_side = Q(change__team_id__in=teams) | Q(change_id__in=Change.shared_with.through.objects.filter(
            team_id__in=teams).values("change_id"))
        event_side = Q(event__team_id__in=teams) | Q(event_id__in=Event.shared_with.through.objects.filter(
            team_id__in=teams).values("event_id"))
        both_seen = Q(change_seen=True) & (Q(event__isnull=True) | Q(event_seen=True))
        return annotated.filter(both_seen | (Q(change_seen=True) & change_side) | (Q(event_seen=True) & event_side))

    def unsettled(self):
        return self.filter(status__in=Conflict.UNSETTLED)


class Conflict(models.Model):
    """A change that collides with a customer's event (through the dependency graph) or a freeze."""

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        FREEZE = "freeze", "Freeze window"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DELAY_ASKED = "delay_asked", "Delay asked"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Resolution(models.TextChoices):
        RESCHEDULED = "rescheduled", "Rescheduled"
        MITIGATED = "mitigated", "Mitigated"
        RISK_ACCEPTED = "risk_accepted", "Risk accepted by the customer lead"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    UNSETTLED = (Status.OPEN, Status.DELAY_ASKED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="conflicts")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts")
    freeze = models.ForeignKey(FreezeWindow, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="conflicts")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    mitigation_plan = models.TextField(blank=True)
    score = models.PositiveSmallIntegerField(default=1, help_text="risk × criticality × closeness (1–36)")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.LOW)
    path = models.JSONField(default=list, help_text="Service names from the event's service to the changed one.")
    reason = models.TextField(help_text="Why, in plain words.")
    overlap_start = models.DateTimeField()
    overlap_end = models.DateTimeField()
    detected_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "overlap_start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["change", "event"], condition=Q(event__isnull=False),
                                    name="unique_change_event_conflict"),
            models.UniqueConstraint(fields=["change", "freeze"], condition=Q(freeze__isnull=False),
                                    name="unique_change_freeze_conflict"),
            models.CheckConstraint(condition=Q(event__isnull=False) | Q(freeze__isnull=False),
                                   name="conflict_has_a_counterpart"),
        ]

    def __str__(self):
        other = self.event if self.event_id else self.freeze
        return f"{self.change} × {other}"

    def get_absolute_url(self):
        return reverse("agenda:conflict", args=[self.pk])

    @property
    def is_unsettled(self):
        return self.status in self.UNSETTLED

    # --- what a viewer may read of each side (see ConflictQuerySet.visible_to) ---------------
    @property
    def change_shown(self):
        return getattr(self, "change_seen", True)

    @property
    def event_shown(self):
        return self.event_id is None or getattr(self, "event_seen", True)

    @property
    def change_label(self):
        return self.change.title if self.change_shown else HIDDEN_ITEM

    @property
    def change_team_label(self):
        return self.change.team.name if self.change_shown else "another team"

    @property
    def against_label(self):
        if self.event_id:
            return self.event.title if self.event_shown else HIDDEN_ITEM
        return self.freeze.title

    @property
    def against_team_label(self):
        if self.event_id:
            return self.event.team.name if self.event_shown else "another team"
        return "freeze window"

    @property
    def hidden_side(self):
        """The item this viewer may not see (with its times), or None."""
        if not self.change_shown:
            return self.change
        if not self.event_shown:
            return self.event
        return None

    def entries_for_viewer(self):
        """The conflict's history; the detection's text (it names both items) as this viewer may read it."""
        entries = list(self.entries.select_related("author"))
        if self.hidden_side is not None:
            for entry in entries:
                if entry.kind in (ConflictEntry.Kind.DETECTED, ConflictEntry.Kind.REOPENED):
                    entry.text = self.shown_reason
        return entries

    @property
    def shown_reason(self):
        if self.hidden_side is None:
            return self.reason
        return (f"{self.change_label[:1].upper()}{self.change_label[1:]} and {self.against_label} overlap; "
                f"the path runs through the services {' → '.join(self.path) or 'they share'}.")


class ConflictEntry(models.Model):
    """One line of a conflict's life: detected, delay asked, resolved, withdrawn, reopened, or a comment."""

    class Kind(models.TextChoices):
        DETECTED = "detected", "Detected"
        DELAY_ASKED = "delay_asked", "Delay asked"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REOPENED = "reopened", "Reopened"
        COMMENT = "comment", "Comment"

    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "conflict entries"

    def __str__(self):
        return f"{self.get_kind_display()} on conflict #{self.conflict_id}"


def new_feed_key():
    return secrets.token_urlsafe(32)


class FeedTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person manages their own feed and the feeds of their teams."""
        if not _signed_in(user):
            return self.none()
        return self.filter(Q(person=user) | Q(team_id__in=_team_ids(user)))


class FeedToken(models.Model):
    """The secret in an iCalendar feed URL, per team or per person; rotating it kills the old URL.

    Kept in clear (not hashed like API tokens) because a calendar address is meant to be
    shown again and pasted into several calendar apps, like the "secret address" of other
    calendar products; it grants read access to one feed and nothing else.
    """

    key = models.CharField(max_length=64, unique=True, default=new_feed_key)
    team = models.OneToOneField(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="feed")
    person = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="agenda_feed")
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    objects = FeedTokenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(team__isnull=True) ^ Q(person__isnull=True),
                                   name="feed_token_has_one_owner"),
        ]

    def __str__(self):
        return f"Feed of {self.team or self.person}"

    def get_absolute_url(self):
        return reverse("agenda:feed", args=[self.key])
