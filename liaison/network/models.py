"""Ties across teams: interactions, tie strength, nudges, homework plans, meetings.

Tie strength
------------
A tie is the relationship between two people, one row per unordered pair (`person_low`
has the smaller id). Its strength is a decaying score of the interactions between them:

    strength(now) = Σ  KIND_WEIGHTS[kind] * 0.5 ** ((now - date) / HALF_LIFE_DAYS)

so each interaction counts for its kind's weight on the day it happens and for half of
that HALF_LIFE_DAYS (90) days later: many, recent and deep interactions (an exchange,
a visit) make a strong tie; a tie nobody tends fades. The sum is kept incrementally:
the row stores `score` as of the day `as_of`, and logging an interaction only decays
that score to the new date and adds the weight (see `Tie.add`). Reading the strength
today is one multiplication. Warm paths and bridges need "ties strong *today*", which
with a decaying score would be a computation per row; instead each row also keeps

    strength_key = log2(score) + days(as_of) / HALF_LIFE_DAYS

and strength(now) ≥ S  ⇔  strength_key ≥ log2(S) + days(now) / HALF_LIFE_DAYS, an
indexed range condition (see `strong_key`). A tie is *strong* from STRONG_TIE (1.5): a
one-on-one in the last two months, a visit in the last five, or a few recent meetings.
"""

import math
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

HALF_LIFE_DAYS = 90
STRONG_TIE = 1.5
EPOCH = date(2000, 1, 1)


class Kind(models.TextChoices):
    ONE_ON_ONE = "one_on_one", "One-on-one"
    MEETING = "meeting", "Meeting"
    VISIT = "visit", "Visit"
    EXCHANGE = "exchange", "Exchange or secondment"
    SHARED_PROJECT = "shared_project", "Shared project"
    DELIVERY = "delivery", "Delivered request"
    THANKS = "thanks", "Thanks"
    INFORMAL = "informal", "Informal (lunch, coffee)"


# How much one interaction of a kind is worth on its day. Deeper contact counts more:
# weeks spent in the other office (seed 000) outweigh a shared meeting.
KIND_WEIGHTS = {
    Kind.EXCHANGE: 5.0,
    Kind.VISIT: 3.0,
    Kind.ONE_ON_ONE: 2.0,
    Kind.SHARED_PROJECT: 2.0,
    Kind.DELIVERY: 1.5,
    Kind.INFORMAL: 1.0,
    Kind.MEETING: 1.0,
    Kind.THANKS: 1.0,
}

# Verbs for explanations: "Ana met Raj 4 times this quarter".
KIND_VERBS = {
    Kind.EXCHANGE: "worked on an exchange with",
    Kind.VISIT: "visited",
    Kind.ONE_ON_ONE: "met",
    Kind.SHARED_PROJECT: "worked on a project with",
    Kind.DELIVERY: "delivered work with",
    Kind.INFORMAL: "met informally with",
    Kind.MEETING: "met",
    Kind.THANKS: "exchanged thanks with",
}


def day_number(day):
    return (day - EPOCH).days


def strong_key(today, threshold=STRONG_TIE):
    """The smallest `strength_key` of a tie whose strength today is at least `threshold`."""
    return math.log2(threshold) + day_number(today) / HALF_LIFE_DAYS


def decay(score, days):
    return score * 0.5 ** (days / HALF_LIFE_DAYS)


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Interactions a person authored or took part in. The note stays the author's:
        use `Interaction.note_for(user)` to show it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(Q(author=user) | Q(participants=user)).distinct()


class Interaction(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="interactions_logged")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_on = models.DateField()
    note = models.TextField(blank=True, help_text="Private: only you see it.")
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, through="InteractionParticipant",
                                          related_name="interactions")
    source_key = models.CharField(max_length=200, null=True, blank=True, unique=True,
                                  help_text="Set when recorded from elsewhere (a delivered request ...).")
    created_at = models.DateTimeField()

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["author", "occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.occurred_on}"

    def note_for(self, user):
        return self.note if user is not None and user.pk == self.author_id else ""


class InteractionParticipant(models.Model):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="participant_links")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="interaction_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "person"], name="unique_participant")]
        indexes = [models.Index(fields=["person", "interaction"])]

    def __str__(self):
        return f"{self.person_id} in {self.interaction_id}"


class TieQuerySet(models.QuerySet):
    def visible_to(self, user):
        """That a tie exists, and its strength, is open to everyone signed in.
        What happened (notes, interactions) is not on this model."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self

    def of(self, person_id):
        return self.filter(Q(person_low_id=person_id) | Q(person_high_id=person_id))

    def strong(self, today, threshold=STRONG_TIE):
        return self.filter(strength_key__gte=strong_key(today, threshold))


class Tie(models.Model):
    """The relationship of two people; see the module docstring for the strength formula."""

    person_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(default=0.0)
    as_of = models.DateField()
    strength_key = models.FloatField(default=-1e9)
    interactions = models.PositiveIntegerField(default=0)
    first_on = models.DateField()
    last_on = models.DateField()

    objects = TieQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_low", "person_high"], name="unique_tie"),
            models.CheckConstraint(condition=Q(person_low__lt=models.F("person_high")), name="tie_ordered"),
        ]
        indexes = [
            models.Index(fields=["person_low", "strength_key"], name="tie_low_key"),
            models.Index(fields=["person_high", "strength_key"], name="tie_high_key"),
            models.Index(fields=["last_on"], name="tie_last_on"),
        ]

    def __str__(self):
        return f"tie {self.person_low_id}-{self.person_high_id}"

    def strength(self, today):
        return decay(self.score, max(0, (today - self.as_of).days))

    def add(self, kind, day):
        """Fold one interaction of `kind` on `day` into the running score (exact, O(1))."""
        weight = KIND_WEIGHTS[kind]
        if self.interactions == 0:
            self.score, self.as_of, self.first_on, self.last_on = weight, day, day, day
        elif day >= self.as_of:
            self.score = decay(self.score, (day - self.as_of).days) + weight
            self.as_of = day
        else:  # back-dated: its weight has already decayed by the time of as_of
            self.score += decay(weight, (self.as_of - day).days)
        self.first_on = min(self.first_on, day)
        self.last_on = max(self.last_on, day)
        self.interactions += 1
        self.strength_key = math.log2(self.score) + day_number(self.as_of) / HALF_LIFE_DAYS

    def other(self, person_id):
        return self.person_high_id if self.person_low_id == person_id else self.person_low_id


def strength_label(value):
    if value >= 4:
        return "very strong"
    if value >= STRONG_TIE:
        return "strong"
    if value >= 0.5:
        return "moderate"
    return "weak"


# --- nudges ----------------------------------------------------------------------------

class TeamNetworkSettings(models.Model):
    """Per-team settings of the network domain (org is not ours to extend)."""

    team = models.OneToOneField("org.Team", on_delete=models.CASCADE, primary_key=True,
                                related_name="network_settings")
    cadence_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="Nudge when nobody in the team has met anyone in a team it depends on for this long.")

    def __str__(self):
        return f"{self.team}: every {self.cadence_days} days"


DEFAULT_CADENCE_DAYS = 60


class NudgeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A nudge is for the team it nudges: its members (and lead) see it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(Q(team__memberships__person=user) | Q(team__lead=user)).distinct()

    def open(self):
        return self.filter(cleared_at__isnull=True)


class Nudge(models.Model):
    """`team` depends on `other_team` and has not been in touch for longer than its cadence.

    One per pair per cadence window: `window` is days-since-epoch // cadence, unique with
    the pair, so two sweeps on two workers create it once.
    """

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="nudges")
    other_team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    window = models.IntegerField()
    reason = models.CharField(max_length=300)
    last_contact_on = models.DateField(null=True, blank=True)
    suggested = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey("Interaction", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = NudgeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["team", "other_team", "window"], name="one_nudge_per_window")]
        indexes = [models.Index(fields=["team", "other_team", "created_at"])]

    def __str__(self):
        return f"{self.team} → {self.other_team}"


# --- homework (seed 004) ---------------------------------------------------------------

class HomeworkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Your own plans, and as a team lead your team members' plans."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(Q(person=user) | Q(person__memberships__team__lead=user)).distinct()


class HomeworkPlan(models.Model):
    """Dig the well before you are thirsty: pick one colleague in another team, reach out,
    add value, report back. Each step is a timestamp; the lead sees the team's progress."""

    STEPS = [("picked", "Pick a colleague"), ("reached_out", "Reach out"),
             ("added_value", "Add value"), ("reported", "Report back")]

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="homework")
    colleague = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    goal = models.CharField(max_length=300, blank=True, help_text="What you would like to learn about them.")
    created_at = models.DateTimeField()
    reached_out_at = models.DateTimeField(null=True, blank=True)
    added_value_at = models.DateTimeField(null=True, blank=True)
    value_note = models.CharField(max_length=300, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(blank=True)

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.person} → {self.colleague}"

    @property
    def steps(self):
        done = {"picked": self.created_at, "reached_out": self.reached_out_at,
                "added_value": self.added_value_at, "reported": self.reported_at}
        return [{"key": key, "label": label, "done_at": done[key]} for key, label in self.STEPS]

    @property
    def steps_done(self):
        return sum(1 for s in self.steps if s["done_at"])

    @property
    def next_step(self):
        return next((s for s in self.steps if not s["done_at"]), None)


# --- meetings and attendance -------------------------------------------------------------

class MeetingSeriesQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Which teams meet and who came is directory-level information: open to everyone signed in."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class MeetingSeries(models.Model):
    name = models.CharField(max_length=200)
    owner_team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="meeting_series")
    expected_teams = models.ManyToManyField("org.Team", related_name="expected_in_series")
    miss_threshold = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Flag a team that misses more than this share (%) of the meetings held.")
    ical_uid = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField()

    objects = MeetingSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "meeting series"

    def __str__(self):
        return self.name


class Occurrence(models.Model):
    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="occurrences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    # The occurrence's identity in its calendar: the original start (RECURRENCE-ID), so a
    # moved meeting stays the same occurrence on re-import.
    recurrence_key = models.CharField(max_length=40)
    cancelled = models.BooleanField(default=False)
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["series", "recurrence_key"], name="unique_occurrence")]

    def __str__(self):
        return f"{self.series} at {self.starts_at:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        ATTENDED = "attended", "Attended"
        DECLINED = "declined", "Declined ahead"
        NO_SHOW = "no_show", "No-show"

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=10, choices=Status.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occurrence", "person"], name="unique_attendance")]

    def __str__(self):
        return f"{self.person} {self.status} {self.occurrence}"
