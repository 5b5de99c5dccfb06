"""The playbook's data: the rules org admins edit, the suggestions it made, the invitations it sent.

Rules are data, not code: each Rule says "in situation S, offer move M to side X, at
rank R, because <reason>". The detectors (situations.py) decide *whether* a situation
holds and the moves (moves.py) know *how* to wire a step to its action in Liaison;
which moves are offered, in which order and with which sentence is what an admin edits.

Every suggestion shown is recorded once per person, situation, move and object
(Suggestion); the outcomes sweep (outcomes.py) later reads the domains' history to
record whether it was taken and what followed, so admins can see which moves work.
"""

import uuid

from django.conf import settings
from django.db import models


class Side(models.TextChoices):
    """Whose move it is. Requests: requester / provider; conflicts: customer / service;
    a relationship gone quiet: the nudged team ("requester" too: it depends on the other)."""

    ASKING = "asking", "The asking side (requester, customer team)"
    SERVING = "serving", "The serving side (provider, service team)"
    EITHER = "either", "Either side"


class Rule(models.Model):
    situation = models.CharField(max_length=40, db_index=True)
    move = models.CharField(max_length=40)
    side = models.CharField(max_length=10, choices=Side.choices, default=Side.EITHER)
    rank = models.PositiveSmallIntegerField(default=10, help_text="1 is offered first.")
    reason = models.CharField(max_length=300, help_text="One sentence: why this move, now.")
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["situation", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["situation", "move", "side"], name="one_rule_per_move_side")]

    def __str__(self):
        return f"{self.situation}: {self.move} ({self.side}, rank {self.rank})"


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    SLIPPED = "slipped", "Slipped again"
    ESCALATED = "escalated", "Escalated"
    OPEN = "open", "Still open"


class Suggestion(models.Model):
    """One move shown to one person for one object in one situation (first shown_at kept)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    situation = models.CharField(max_length=40)
    move = models.CharField(max_length=40)
    #: The object as its link ("/requests/12/", "/agenda/conflicts/3/"): the playbook
    #: points at the domains' objects without a foreign key into any of them.
    about = models.CharField(max_length=200)
    rank = models.PositiveSmallIntegerField(default=1)
    shown_at = models.DateTimeField()
    taken_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shown_at", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "situation", "move", "about"],
                                               name="one_suggestion_per_person_move_object")]
        indexes = [models.Index(fields=["situation", "move"], name="suggestion_stats"),
                   models.Index(fields=["outcome_at", "shown_at"], name="suggestion_pending")]

    def __str__(self):
        return f"{self.move} for {self.about} to {self.person_id}"


class Invitation(models.Model):
    """A call or a meeting proposed from a move, sent by mail as an iCalendar REQUEST."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    about = models.CharField(max_length=200, help_text="The link of what it is about.")
    title = models.CharField(max_length=200)
    agenda = models.TextField(blank=True)
    start = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=30)
    location = models.CharField(max_length=200, blank=True, help_text="A room, or a call link.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
