"""Insights' own tables: the per-request fact rollup, the watermark that keeps it fresh,
deterioration alerts, and the fairness audit log.

Why a fact table, and how it stays correct
==========================================
Scorecards aggregate requests *per pair of teams* (provider team, customer team) and
month. The Request table has no index on that pair, and its timestamps need arithmetic
(durations, censoring) that differs between SQLite and PostgreSQL. RequestFact holds one
row per request with exactly what the scorecards read — the two team ids, the creation
month, the lifecycle instants as integer epoch seconds, the flags and counters — under
two covering indexes (provider, customer, month) and (customer, provider, month). Every
scorecard figure is then one SQL aggregation over a few hundred or thousand index-ordered
rows, identical on both databases; Kaplan-Meier curves are fitted on the aggregated
(duration bucket, observed, count) rows the database returns, with lifelines' weights.

Correctness when a request changes: every change to a request writes a RequestEvent
(append-only, increasing ids). The `insights.facts` sweep reads the events above its
watermark (minus an overlap, because ids are handed out before their transactions
commit and can become visible out of order), recomputes the facts of the requests they
touch from the Request row and its small tables, and upserts them; recomputing is
idempotent, so re-reading the overlap is harmless. Open requests are stored with no end:
their censored durations are computed at query time against `now`, so the rollup never
goes stale while a request waits.
"""

from django.conf import settings
from django.db import models

from liaison.org.models import Team
from liaison.org.visibility import readable_team_ids, team_work_condition


def scope_of(user):
    """Team ids whose relationships `user` may read: liaison.org.visibility's one rule
    (their teams, plus the teams they lead or manage up the tree)."""
    return readable_team_ids(user)


class RequestFactQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Facts of the requests `user` may see (liaison.org.visibility): between teams the
        user belongs to, leads or manages, or asked by the user. Figures are aggregates,
        but they are still the requests' figures, so they follow the requests' own
        visibility — org admins and auditors get no wider view here."""
        condition = team_work_condition(user, "provider_team_id", "requester_team_id", person_field="requester_id")
        return self.none() if condition is None else self.filter(condition)

    def pair(self, provider, customer):
        return self.filter(provider_team=provider, requester_team=customer)


class RequestFact(models.Model):
    """What the scorecards know about one request (times are UTC epoch seconds)."""

    request_id = models.BigIntegerField(primary_key=True)
    provider_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    requester_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    service_id = models.BigIntegerField(db_index=True)
    requester_id = models.BigIntegerField()
    month = models.DateField(help_text="First day of the month the request was created (UTC).")
    status = models.CharField(max_length=20)

    submitted_s = models.BigIntegerField(null=True, help_text="Null for a forecast never confirmed.")
    acknowledged_s = models.BigIntegerField(null=True, help_text="First response: acknowledged, or declined.")
    committed_s = models.BigIntegerField(null=True)
    delivered_s = models.BigIntegerField(null=True)
    stopped_s = models.BigIntegerField(null=True, help_text="Declined or withdrawn: censors what did not happen.")

    declined = models.BooleanField(default=False)
    delivered = models.BooleanField(default=False)
    committed = models.BooleanField(default=False)
    on_time = models.BooleanField(null=True, help_text="Delivered on or before the committed date; null if no date.")
    slips = models.PositiveSmallIntegerField(default=0)
    rework = models.PositiveSmallIntegerField(default=0)
    quality = models.PositiveSmallIntegerField(null=True)
    open_blockers = models.PositiveSmallIntegerField(default=0)
    is_open = models.BooleanField(default=False)

    notice_days = models.IntegerField(default=0)
    lead_time_days = models.IntegerField(default=0)
    short_notice = models.BooleanField(default=False)
    context_and_options = models.BooleanField(default=False)
    forecast = models.BooleanField(default=False, help_text="Started as a heads-up forecast.")
    forecast_confirmed = models.BooleanField(default=False)
    thanks = models.PositiveSmallIntegerField(default=0)
    escalations_warned = models.PositiveSmallIntegerField(default=0)
    escalations_unwarned = models.PositiveSmallIntegerField(default=0)

    refreshed_at = models.DateTimeField()

    objects = RequestFactQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["provider_team", "requester_team", "month"], name="fact_pair"),
            models.Index(fields=["requester_team", "provider_team", "month"], name="fact_pair_rev"),
        ]

    def __str__(self):
        return f"facts of request #{self.request_id}"


class Watermark(models.Model):
    """The highest RequestEvent id a sweep has folded in (one row per sweep name)."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.value}"


class DeteriorationAlert(models.Model):
    """A measure of one direction of a pair that left its EWMA control band in a month."""

    provider_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    requester_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=40)
    month = models.DateField()
    value = models.FloatField(help_text="The EWMA statistic in that month.")
    limit = models.FloatField(help_text="The control limit it crossed.")
    baseline = models.FloatField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "measure"]
        constraints = [models.UniqueConstraint(fields=["provider_team", "requester_team", "measure", "month"],
                                               name="unique_alert_per_month")]

    def __str__(self):
        return f"{self.measure} {self.provider_team_id}->{self.requester_team_id} {self.month:%Y-%m}"

    @property
    def measure_label(self):
        from .scorecards import MONTHLY

        return MONTHLY.get(self.measure, (self.measure,))[0]


class AuditRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_auditor:
            return self.none()
        return self


class AuditRun(models.Model):
    """Every fairness audit run: who, what, when — and only the aggregate outcome."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    scope_kind = models.CharField(max_length=10)  # "service" or "team"
    scope_id = models.BigIntegerField()
    scope_name = models.CharField(max_length=200)
    measure = models.CharField(max_length=40)
    attributes = models.CharField(max_length=100)
    period_start = models.DateField()
    period_end = models.DateField()
    groups_compared = models.PositiveIntegerField(default=0)
    groups_suppressed = models.PositiveIntegerField(default=0)
    flagged = models.BooleanField(default=False)

    objects = AuditRunQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"audit by {self.by_id} at {self.at:%Y-%m-%d %H:%M}"
