
"""Incidents: what happened after a collision, in numbers, and what the teams learn from it.

An Incident is opened by someone in an affected team (from an agenda conflict, a change,
a request, or on its own). Its consequences are logged as append-only Impact rows in units
a senior manager understands (labour hours, days of delay, customers affected, events
disrupted, money, or a unit the team names); its history is an append-only timeline of
IncidentEntry rows, so reopening keeps everything that happened before.

No blame while it is happening (seed 002): the "causes and contributing factors" fields
exist on the row but every door refuses to write them until the incident is stable, and
no field names a person as at fault — people appear only as who *logged* something.

Severity is not a guess: `severity_for(totals)` derives it from the impacts (customers
affected, events disrupted, labour hours, days of delay); services.recompute() stores it
after every impact so lists can filter and sort on it.

Visibility: an incident is visible to the members of the teams involved (IncidentTeam) and
to the leads and managers above them (org.visibility, the one rule every door uses; org
admins are not an exception). A confidential change or event linked to an incident stays confidential: pages
and the API show it through the agenda's own visible_to().
"""

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Exists, OuterRef, Q

from liaison.agenda.models import Change, Conflict, Event
from liaison.org.models import Person, Service, Team
from liaison.org.visibility import member_team_ids, readable_team_ids, scope_team_ids
from liaison.requests.models import Request


def _signed_in(user):
    return user is not None and user.is_authenticated and user.is_active


class Status(models.TextChoices):
    OPEN = "open", "Open"
    STABLE = "stable", "Stable"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Kind(models.TextChoices):
    """The kind of disruption, so "the same kind of disruption in the last 12 months" is a query."""

    CHANGE_COLLISION = "change_collision", "A change collided with our work"
    OUTAGE = "outage", "Outage"
    DEGRADATION = "degradation", "Degraded service"
    MISSED_COMMITMENT = "missed_commitment", "Missed commitment"
    OTHER = "other", "Other"


class Unit(models.TextChoices):
    LABOUR_HOURS = "labour_hours", "Hours of labour"
    DELAY_DAYS = "delay_days", "Days of delay"
    CUSTOMERS_AFFECTED = "customers_affected", "Customers (external organisations) affected"
    EVENTS_DISRUPTED = "events_disrupted", "Events disrupted"
    MONEY = "money", "Money"
    OTHER = "other", "Another unit"


#: Severity thresholds per unit: (medium from, high from, critical from). Documented in
#: the README; the highest level any unit reaches is the incident's severity.
SEVERITY_THRESHOLDS = {
    Unit.CUSTOMERS_AFFECTED: (Decimal(1), Decimal(20), Decimal(100)),
    Unit.EVENTS_DISRUPTED: (Decimal(1), Decimal(2), Decimal(5)),
    Unit.LABOUR_HOURS: (Decimal(8), Decimal(40), Decimal(200)),
    Unit.DELAY_DAYS: (Decimal(1), Decimal(5), Decimal(20)),
}
_LEVELS = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


def severity_for(totals):
    """The severity a set of impact totals ({unit: Decimal}) reaches: the highest level of
    any unit. Money and named units do not set severity (they are not comparable across
    teams), but they are shown and counted in the business case."""
    level = 0
    for unit, thresholds in SEVERITY_THRESHOLDS.items():
        amount = totals.get(unit, Decimal(0)) or Decimal(0)
        for index, threshold in enumerate(thresholds, start=1):
            if amount >= threshold:
                level = max(level, index)
    return _LEVELS[level]


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Incidents `user` may see: a member of a team involved or invited, the service
        team, or a lead/manager above one of the involved teams.

        Nobody else, org admins included (org.visibility's rule): 404 on pages and the API.
        """
        if not _signed_in(user):
            return self.none()
        # Set-based (id IN (...) subqueries, which PostgreSQL hashes once) rather than a
        # correlated EXISTS per incident: a division head's scope has hundreds of teams,
        # and the correlated form took seconds over 20,000 incidents (bench/incidents_scale.py).
        mine, teams = member_team_ids(user), readable_team_ids(user)
        involved = IncidentTeam.objects.filter(team_id__in=teams).values("incident_id")
        invited = IncidentInvite.objects.filter(team_id__in=mine).values("incident_id")
        return self.filter(Q(pk__in=involved) | Q(pk__in=invited) | Q(opened_by_id=user.pk)
                           | Q(service_team_id__in=teams))

    def open(self):
        return self.exclude(status=Status.CLOSED)


class Incident(models.Model):
    """A disruption and how its consequences unfold, shared by the teams it touched."""

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="What is happening, in plain words. No blame.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.LOW, db_index=True,
                                editable=False, help_text="Derived from the impacts (severity_for); never typed.")
    opened_at = models.DateTimeField(db_index=True)
    opened_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="incidents_opened")
    stable_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    service_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="incidents_as_service",
                                     help_text="The service side (S) whose change or service was involved.")
    conflict = models.ForeignKey(Conflict, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    changes = models.ManyToManyField(Change, blank=True, related_name="incidents")
    events = models.ManyToManyField(Event, blank=True, related_name="incidents")
    requests = models.ManyToManyField(Request, blank=True, related_name="incidents")
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    teams = models.ManyToManyField(Team, through="IncidentTeam", related_name="incidents")
    # Writable only once stable (services.write_causes refuses before). Describes systems
    # and circumstances; there is deliberately no field that names a person at fault.
    causes = models.TextField(blank=True, help_text="Causes (systems, processes, circumstances — never a person).")
    contributing_factors = models.TextField(blank=True, help_text="What made it worse or more likely.")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["service_team", "opened_at"], name="incident_service_opened"),
            models.Index(fields=["status", "opened_at"], name="incident_status_opened"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """A plain path, so notify links need no URLconf of the pages."""
        return f"/incidents/{self.pk}/"

    @property
    def is_open(self):
        return self.status == Status.OPEN

    @property
    def causes_writable(self):
        return self.status != Status.OPEN


class IncidentTeam(models.Model):
    """A team involved in an incident: the service side, or a customer team affected."""

    class Role(models.TextChoices):
        SERVICE = "service", "Service"
        AFFECTED = "affected", "Affected"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="team_links")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incident_links")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AFFECTED)
    joined_at = models.DateTimeField()
    joined_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "team"], name="unique_incident_team")]
        indexes = [models.Index(fields=["team", "incident"], name="incident_team_by_team")]

    def __str__(self):
        return f"{self.team} ({self.role}) in incident #{self.incident_id}"


class IncidentInvite(models.Model):
    """A team asked to look at an incident (proposed from the dependency graph and the agenda).

    An invited team's members see the incident so they can join it with one click; an
    invitation is not involvement: it makes no IncidentTeam row until someone joins.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="invites")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="incident_invites")
    invited_at = models.DateTimeField()
    invited_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "team"], name="unique_incident_invite")]

    def __str__(self):
        return f"{self.team} invited to incident #{self.incident_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be deleted.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: an existing row cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only: a row cannot be deleted.")


class Impact(AppendOnly):
    """One consequence, in one unit, reported by one team. Never edited: a correction is a
    new entry (a negative amount with what_happened saying what it corrects)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="impacts")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incident_impacts",
                             help_text="The team that reported it (its own consequences).")
    logged_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    logged_at = models.DateTimeField()
    what_happened = models.TextField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    unit_label = models.CharField(max_length=40, blank=True,
                                  help_text="The unit's name for 'other', the currency for money (e.g. EUR).")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["incident", "occurred_at"], name="impact_timeline"),
            models.Index(fields=["team", "unit"], name="impact_team_unit"),
        ]

    def __str__(self):
        return f"{self.amount} {self.unit_label or self.get_unit_display()} ({self.team_id}) on #{self.incident_id}"


class IncidentEntry(AppendOnly):
    """One line of the incident's timeline. Append-only: reopening adds, never rewrites."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        TEAM_JOINED = "team_joined", "Team joined"
        IMPACT = "impact", "Impact logged"
        NOTE = "note", "Note"
        STABLE = "stable", "Marked stable"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        CAUSES = "causes", "Causes and contributing factors written"
        RETRO_PROPOSED = "retro_proposed", "Retrospective proposed"
        RETRO_SCHEDULED = "retro_scheduled", "Retrospective scheduled"
        RETRO_REMINDED = "retro_reminded", "No retrospective yet: leads reminded"
        RETRO_HELD = "retro_held", "Retrospective held"
        ACTION = "action", "Action item"
        ALLIANCE = "alliance", "Alliance"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "incident entries"
        indexes = [models.Index(fields=["incident", "at"], name="incident_entry_timeline")]

    def __str__(self):
        return f"{self.get_kind_display()} on incident #{self.incident_id}"


class Retrospective(models.Model):
    """The after-action review an incident that touched another team presumes (seed 002).

    Proposed when the incident gets a second team: a date within 10 business days, a
    facilitator from outside both teams with ties to both, a no-blame agenda. `scheduled_at`
    is set when someone books it (invitations with an iCalendar REQUEST go to both leads);
    if it is still unscheduled after `proposed_for`, the `incidents.retrospectives` sweep
    reminds the affected leads once and stamps `reminded_at`.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="retrospective")
    proposed_for = models.DateField(help_text="Within 10 business days of the proposal.")
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    location = models.CharField(max_length=200, blank=True, help_text="A room or a video link. Face to face is best.")
    facilitator = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="Someone outside both teams with ties to both.")
    agenda = models.TextField()
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Stable iCalendar UID.")
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE, bumped on every reschedule.")
    proposed_at = models.DateTimeField()
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="What worked, what to change (no names at fault).")

    class Meta:
        ordering = ["proposed_for", "pk"]
        indexes = [models.Index(fields=["proposed_for"], name="retro_unscheduled_due",
                                condition=Q(scheduled_at__isnull=True, reminded_at__isnull=True))]

    def __str__(self):
        return f"Retrospective of incident #{self.incident_id}"

    def get_absolute_url(self):
        return f"/incidents/{self.incident_id}/#retrospective"


class ActionItem(models.Model):
    """What the retrospective decided to change, as a commitment.

    The commitment IS a requests Request from an affected team to the owning team's
    service, committed to the due date: reminders, slips, overdue and the pair scorecard
    count it through the requests machinery, not a copy of it. This row only ties the
    request to the retrospective and names the owner.
    """

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="action_items")
    request = models.OneToOneField(Request, on_delete=models.PROTECT, related_name="incident_action")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.title


class AllianceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members of the invited or allied teams, the leads and managers above them, and
        the service team's lead (who answers). Nobody else, org admins included."""
        if not _signed_in(user):
            return self.none()
        mine = member_team_ids(user)
        allied = AllianceMember.objects.filter(alliance_id=OuterRef("pk"))
        condition = Exists(allied.filter(team_id__in=mine)) | Q(service_team__lead_id=user.pk)
        scope = scope_team_ids(user)
        if scope:
            condition |= Exists(allied.filter(team_id__in=scope))
        return self.filter(condition)


class Alliance(models.Model):
    """Customer teams affected by the same service, together: a shared ask, co-signed.

    For an incident or a conflict. Visible to the allied teams (members who were invited)
    and to the service team's lead, who answers it on the alliance page.
    """

    class Ask(models.TextChoices):
        DELAY = "delay", "A delay of the change"
        NOTICE_POLICY = "notice_policy", "A notice policy"
        RETROSPECTIVE = "retrospective", "A retrospective"
        OTHER = "other", "Something else"

    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="alliances")
    conflict = models.ForeignKey(Conflict, null=True, blank=True, on_delete=models.CASCADE, related_name="alliances")
    service_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="The service side whose lead answers.")
    ask_kind = models.CharField(max_length=20, choices=Ask.choices)
    ask_text = models.TextField()
    created_by_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="alliances_started")
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    teams = models.ManyToManyField(Team, through="AllianceMember", related_name="alliances")

    objects = AllianceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(incident__isnull=False) | Q(conflict__isnull=False),
                                              name="alliance_has_a_subject")]

    def __str__(self):
        return f"Alliance: {self.get_ask_kind_display()}"

    def get_absolute_url(self):
        return f"/incidents/alliances/{self.pk}/"


class AllianceMember(models.Model):
    """A team in an alliance: invited, joined, co-signed. Its numbers are its own Impacts."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="members")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="alliance_memberships")
    invited_at = models.DateTimeField()
    invited_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    joined_at = models.DateTimeField(null=True, blank=True)
    joined_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["alliance", "team"], name="unique_alliance_team")]

    def __str__(self):
        return f"{self.team} in alliance #{self.alliance_id}"
