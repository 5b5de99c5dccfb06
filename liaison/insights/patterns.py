"""Patterns: how each service team gives notice and disrupts, across the enterprise (seed 002).

"If S has repeatedly given only short notice of service disruptions or changes, having
hard data as to the timing of those notices can be useful in making a case for change" —
and "is there an enterprise pattern?". Three views, all aggregated in the database:

- `enterprise_ranking`: every service team the viewer can see something of, with its
  changes' notice (from the agenda's notice accounting: Change.notice_days, late when
  below LIAISON_MIN_CHANGE_NOTICE_DAYS) and its incidents and their logged impacts,
  this window against the window before (trend arrows), each with its sample size.
- `service_team_pattern`: one service team — the agenda's notice_history (distribution
  and monthly trend) beside its incidents per month and their impacts per unit.
- `same_pattern`: for one incident, the other service teams whose incidents in the last
  12 months had the same shape (see the function).

Privacy: every count reads `Change.objects.visible_to` and `Incident.objects.visible_to`,
so a confidential change, or an incident between teams the viewer has nothing to do with,
is not counted for them. An org admin or a senior manager sees more than a team member;
the pages say the figures are "what you may see".
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth

from liaison.agenda.models import Change
from liaison.agenda.notice import BUCKETS, notice_history
from liaison.incidents.models import Impact, Incident, IncidentTeam, Unit
from liaison.org.models import Team

from .charts import Bar, column_chart, hbar_chart

#: Below this many changes (or incidents) in either window, no trend arrow: "too few".
MIN_TREND_SAMPLE = 5
#: A share must move by at least this many percentage points to earn an arrow.
SHARE_STEP = 5
#: The units that rank disruption (comparable across teams; money and named units are shown, not ranked).
RANKED_UNITS = [Unit.LABOUR_HOURS, Unit.DELAY_DAYS, Unit.CUSTOMERS_AFFECTED, Unit.EVENTS_DISRUPTED]
ORDERS = {"short_notice": "Share of changes with short notice", "incidents": "Incidents",
          **{u.value: u.label for u in RANKED_UNITS}}
SAME_PATTERN_DAYS = 365


def window(now, months):
    """(start of this window, start of the one before): `months` of 30.44 days each, ending now."""
    span = timedelta(days=round(30.44 * months))
    return now - span, now - 2 * span


@dataclass
class Trend:
    """A trend arrow with its words: `direction` up/down/flat/none, `worse` if it got worse."""

    direction: str
    worse: bool
    text: str

    @property
    def arrow(self):
        return {"up": "↑", "down": "↓", "flat": "→"}.get(self.direction, "")


def share_trend(k_now, n_now, k_before, n_before, what="short notice"):
    if n_now < MIN_TREND_SAMPLE or n_before < MIN_TREND_SAMPLE:
        return Trend("none", False, f"too few to compare (n = {n_now} now, {n_before} before)")
    now_pct, before_pct = 100 * k_now / n_now, 100 * k_before / n_before
    diff = now_pct - before_pct
    direction = "flat" if abs(diff) < SHARE_STEP else "up" if diff > 0 else "down"
    words = {"flat": "about the same as", "up": "up from", "down": "down from"}[direction]
    return Trend(direction, direction == "up",
                 f"{what} {now_pct:.0f} %, {words} {before_pct:.0f} % (n = {n_now} now, {n_before} before)")


def count_trend(now_value, before_value, what):
    now_value, before_value = now_value or 0, before_value or 0
    direction = "flat" if now_value == before_value else "up" if now_value > before_value else "down"
    words = {"flat": "the same as", "up": "up from", "down": "down from"}[direction]
    return Trend(direction, direction == "up", f"{what} {_num(now_value)}, {words} {_num(before_value)} before")


def _num(value):
    value = float(value or 0)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _late():
    return Q(notice_days__lt=settings.LIAISON_MIN_CHANGE_NOTICE_DAYS)


# --- the enterprise ranking ------------------------------------------------------------------------

def enterprise_ranking(viewer, now, *, months=12, order="short_notice"):
    """Service teams ranked by short notice, incidents, or a unit of disruption, worst first.

    Four grouped queries (changes, incidents, affected teams, impacts), each one GROUP BY
    service team over the two windows; rows with too small a sample sort after the rest.
    """
    if order not in ORDERS:
        order = "short_notice"
    start, before = window(now, months)
    this, last = Q(start__gte=start), Q(start__lt=start)
    changes = (Change.objects.visible_to(viewer).filter(notice_days__isnull=False, start__gte=before)
               .values("team_id").order_by()
               .annotate(n=Count("pk", filter=this), late=Count("pk", filter=this & _late()),
                         n_before=Count("pk", filter=last), late_before=Count("pk", filter=last & _late()),
                         notice=Sum("notice_days", filter=this)))
    rows = {}

    def row(team_id):
        return rows.setdefault(team_id, {"team_id": team_id, "changes": 0, "late": 0, "changes_before": 0,
                                         "late_before": 0, "notice_sum": 0, "incidents": 0, "incidents_before": 0,
                                         "affected_teams": 0, "impacts": {}, "impacts_before": {}})

    for c in changes:
        r = row(c["team_id"])
        r.update(changes=c["n"], late=c["late"], changes_before=c["n_before"], late_before=c["late_before"],
                 notice_sum=c["notice"] or 0)

    visible = Incident.objects.visible_to(viewer).filter(opened_at__gte=before, service_team__isnull=False)
    inc_now, inc_before = Q(opened_at__gte=start), Q(opened_at__lt=start)
    for i in visible.values("service_team_id").order_by().annotate(n=Count("pk", filter=inc_now),
                                                                   n_before=Count("pk", filter=inc_before)):
        row(i["service_team_id"]).update(incidents=i["n"], incidents_before=i["n_before"])
    affected = (IncidentTeam.objects.filter(incident__in=visible.filter(inc_now), role=IncidentTeam.Role.AFFECTED)
                .values("incident__service_team_id").order_by().annotate(teams=Count("team_id", distinct=True)))
    for a in affected:
        row(a["incident__service_team_id"])["affected_teams"] = a["teams"]
    impacts = (Impact.objects.filter(incident__in=visible, unit__in=RANKED_UNITS)
               .values("incident__service_team_id", "unit").order_by()
               .annotate(now=Sum("amount", filter=Q(incident__opened_at__gte=start)),
                         before=Sum("amount", filter=Q(incident__opened_at__lt=start))))
    for m in impacts:
        r = row(m["incident__service_team_id"])
        r["impacts"][m["unit"]] = m["now"] or 0
        r["impacts_before"][m["unit"]] = m["before"] or 0

    teams = Team.objects.in_bulk(rows.keys())
    ranking = []
    for r in rows.values():
        r["team"] = teams[r["team_id"]]
        r["late_share"] = round(100 * r["late"] / r["changes"]) if r["changes"] else None
        r["average_notice"] = r["notice_sum"] / r["changes"] if r["changes"] else None
        r["notice_trend"] = share_trend(r["late"], r["changes"], r["late_before"], r["changes_before"])
        r["incident_trend"] = count_trend(r["incidents"], r["incidents_before"], "incidents")
        r["impact_trends"] = {u: count_trend(r["impacts"].get(u), r["impacts_before"].get(u), Unit(u).label.lower())
                              for u in RANKED_UNITS}
        r["impact_list"] = [(Unit(u).label, r["impacts"].get(u, 0), r["impact_trends"][u]) for u in RANKED_UNITS
                            if r["impacts"].get(u) or r["impacts_before"].get(u)]
        ranking.append(r)
    ranking.sort(key=_order_key(order))
    return ranking


def _order_key(order):
    if order == "short_notice":
        return lambda r: (r["changes"] < MIN_TREND_SAMPLE, -(r["late_share"] or 0), -r["changes"], r["team"].name)
    if order == "incidents":
        return lambda r: (-r["incidents"], -r["affected_teams"], r["team"].name)
    return lambda r: (-float(r["impacts"].get(order, 0)), -r["incidents"], r["team"].name)


# --- one service team -------------------------------------------------------------------------------

def service_team_pattern(team, viewer, now, *, months=24):
    """One service team: its notice (the agenda's accounting) and its disruptions, with charts."""
    history = notice_history(team, viewer, now, months=months)
    minimum = history["minimum"]
    since = (now - timedelta(days=round(30.44 * months))).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    incidents = Incident.objects.visible_to(viewer).filter(service_team=team)
    per_month = list(incidents.filter(opened_at__gte=since).annotate(month=TruncMonth("opened_at"))
                     .values("month").order_by("month").annotate(n=Count("pk")))
    impacts = list(Impact.objects.filter(incident__in=incidents).values("unit", "unit_label").order_by("unit")
                   .annotate(total=Sum("amount"), entries=Count("pk"), teams=Count("team_id", distinct=True),
                             incidents=Count("incident_id", distinct=True)))
    for m in impacts:
        m["label"] = m["unit_label"] if m["unit"] == Unit.OTHER and m["unit_label"] else Unit(m["unit"]).label
    distribution = [Bar(label, count, alert=(high is not None and high <= minimum))
                    for (label, count, _pct), (_l, _low, high) in zip(history["distribution"], BUCKETS, strict=True)]
    total = history["summary"]["total"]
    charts = {
        "distribution": hbar_chart(distribution, title=f"Notice {team.name} gave, {total} changes", unit="changes"),
        "trend": column_chart(
            [Bar(f"{t['month']:%Y-%m}", t["average"], note=f"{t['count']} changes, {t['late']} late",
                 alert=(t["average"] or 0) < minimum) for t in history["trend"]],
            title=f"Average notice per month, {team.name}", unit="business days", rule=minimum,
            rule_label=f"minimum notice {minimum} business days"),
        "incidents": column_chart([Bar(f"{p['month']:%Y-%m}", p["n"]) for p in per_month],
                                  title=f"Incidents per month, {team.name}", unit="incidents"),
    }
    return {"team": team, "history": history, "incidents_per_month": per_month, "impacts": impacts,
            "incident_count": incidents.count(), "open_incidents": incidents.open().count(), "charts": charts,
            "months": months}


# --- the same pattern elsewhere --------------------------------------------------------------------

def same_pattern(incident, viewer, now):
    """Other service teams whose incidents in the last 12 months had the same shape.

    The same shape: the same kind of disruption (Incident.kind), touching at least one
    team besides the service team; and when this incident came from a change announced
    with short notice, only incidents that also came from a short-notice change. Counts
    only incidents the viewer may see. Returns {"teams": [...], "count": N, "rule": words}.
    """
    since = now - timedelta(days=SAME_PATTERN_DAYS)
    short = incident.changes.filter(_late()).exists()
    qs = (Incident.objects.visible_to(viewer)
          .filter(kind=incident.kind, opened_at__gte=since, service_team__isnull=False)
          .exclude(pk=incident.pk)
          .filter(Exists(IncidentTeam.objects.filter(incident_id=OuterRef("pk"), role=IncidentTeam.Role.AFFECTED))))
    if incident.service_team_id:
        qs = qs.exclude(service_team_id=incident.service_team_id)
    if short:
        qs = qs.filter(Exists(Change.objects.filter(incidents=OuterRef("pk")).filter(_late())))
    rows = list(qs.values("service_team_id").order_by()
                .annotate(incidents=Count("pk"), latest=Max("opened_at")))
    teams = Team.objects.in_bulk([r["service_team_id"] for r in rows])
    for r in rows:
        r["team"] = teams[r["service_team_id"]]
    rows.sort(key=lambda r: (-r["incidents"], r["team"].name))
    rule = f"“{incident.get_kind_display()}” incidents touching another team in the last 12 months"
    if short:
        rule += (f", from a change announced with less than {settings.LIAISON_MIN_CHANGE_NOTICE_DAYS} business days'"
                 " notice")
    return {"teams": rows, "count": len(rows), "rule": rule, "short_notice": short}
