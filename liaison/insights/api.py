"""Relationship health over HTTP, under /api/v1/insights/. Read-only and thin: the same
scorecards and ranking as the pages, with the same visibility (404 for a pair or team
the caller may not see). The fairness audit is page-only: it is logged per run and
meant for a person, not a script.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from liaison.incidents.models import Incident
from liaison.org.models import Team
from liaison.org.schemas import Invalid, Message, Pages
from liaison.org.visibility import may_read_pair, may_read_team

from . import business_case as cases
from . import dashboards, patterns
from .models import RequestFact
from .scorecards import pair_scorecard, partner_ranking

router = Router(tags=["insights"])
READ = {401: Message, 404: Message}


class Figure(Schema):
    measure: str
    label: str
    value: float | None
    lo: float | None
    hi: float | None
    n: int
    unit: str
    enough: bool
    note: str


class Direction(Schema):
    provider_team: str
    customer_team: str
    requests: int
    provider_side: list[Figure]
    customer_side: list[Figure]


class Partner(Schema):
    team: str
    name: str
    health: float | None
    requests: int


def _team(user, slug):
    """A team whose figures `user` may read (liaison.org.visibility); else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not may_read_team(user, team):
        raise Http404
    return team


@router.get("/insights/pairs/{a}/{b}", response={200: list[Direction], **READ})
def pair(request, a: str, b: str, months: int = 12):
    """Both directions between two teams: every figure with its sample size and 95 % interval."""
    team_a, team_b = get_object_or_404(Team, slug=a), get_object_or_404(Team, slug=b)
    if not may_read_pair(request.user, team_a, team_b):
        raise Http404
    cards = pair_scorecard(RequestFact.objects.visible_to(request.user), team_a, team_b, now=timezone.now(),
                           months=min(max(months, 3), 36))
    def figures(side):
        return [{**f, "measure": f["key"]} for f in side]

    return [{"provider_team": c["provider_team"].slug, "customer_team": c["customer_team"].slug,
             "requests": c["requests"], "provider_side": figures(c["provider"]),
             "customer_side": figures(c["customer"])} for c in cards]


@router.get("/insights/teams/{slug}/partners", response={200: list[Partner], **READ})
def partners(request, slug: str, months: int = 12):
    """The team's partners, worst relationship first."""
    team = _team(request.user, slug)
    ranking = partner_ranking(RequestFact.objects.visible_to(request.user), team, now=timezone.now(),
                              months=min(max(months, 3), 36))
    return [{"team": r["team"].slug, "name": r["team"].name, "health": r["health"], "requests": r["requests"]}
            for r in ranking]


# --- patterns, department dashboards, the business case (issue 12) ---------------------------

BAD = {400: Invalid, 401: Message, 404: Message}


def _months(months, default_low=3, high=36):
    if not default_low <= months <= high:
        raise ValidationError({"months": [f"Between {default_low} and {high}."]})
    return months


class PatternTrend(Schema):
    direction: str
    worse: bool
    text: str


class PatternImpact(Schema):
    unit: str
    label: str
    total: Decimal
    trend: PatternTrend


class ServiceTeamPatternRow(Schema):
    team: str
    name: str
    changes: int
    short_notice: int
    short_notice_share: int | None
    average_notice_days: float | None
    notice_trend: PatternTrend
    changes_before: int
    incidents: int
    incidents_before: int
    incident_trend: PatternTrend
    affected_teams: int
    impacts: list[PatternImpact]


@router.get("/insights/patterns", response={200: list[ServiceTeamPatternRow], **BAD})
@paginate(Pages)
def pattern_ranking(request, months: int = 12, by: str = "short_notice", **kwargs):
    """Service teams ranked by short notice (`by=short_notice`), incidents, or a unit of impact
    (`labour_hours`, `delay_days`, `customers_affected`, `events_disrupted`), worst first; this
    period against the one before, with sample sizes. Counts only what the caller may see."""
    if by not in patterns.ORDERS:
        raise ValidationError({"by": [f"One of: {', '.join(patterns.ORDERS)}."]})
    ranking = patterns.enterprise_ranking(request.user, timezone.now(), months=_months(months), order=by)
    return [{"team": r["team"].slug, "name": r["team"].name, "changes": r["changes"], "short_notice": r["late"],
             "short_notice_share": r["late_share"], "average_notice_days": r["average_notice"],
             "notice_trend": vars(r["notice_trend"]), "changes_before": r["changes_before"],
             "incidents": r["incidents"], "incidents_before": r["incidents_before"],
             "incident_trend": vars(r["incident_trend"]), "affected_teams": r["affected_teams"],
             "impacts": [{"unit": u.value, "label": u.label, "total": r["impacts"].get(u, 0),
                          "trend": vars(r["impact_trends"][u])} for u in patterns.RANKED_UNITS]}
            for r in ranking]


class NoticeBucket(Schema):
    label: str
    changes: int


class NoticeMonth(Schema):
    month: str
    changes: int
    average_days: float | None
    short_notice: int


class PatternUnitTotal(Schema):
    unit: str
    unit_label: str
    label: str
    total: Decimal
    entries: int
    teams: int


class ServiceTeamPattern(Schema):
    team: str
    minimum_notice_days: int
    changes: int
    short_notice: int
    average_notice_days: float | None
    distribution: list[NoticeBucket]
    trend: list[NoticeMonth]
    incidents: int
    open_incidents: int
    impacts: list[PatternUnitTotal]


@router.get("/insights/patterns/teams/{slug}", response={200: ServiceTeamPattern, **BAD})
def team_pattern(request, slug: str, months: int = 24):
    """One service team: the notice it gave (distribution, monthly trend) and its incidents' impacts."""
    team = get_object_or_404(Team, slug=slug)
    return _team_pattern(patterns.service_team_pattern(team, request.user, timezone.now(),
                                                       months=_months(months, 3, 60)))


def _team_pattern(p):
    s = p["history"]["summary"]
    return {"team": p["team"].slug, "minimum_notice_days": p["history"]["minimum"], "changes": s["total"],
            "short_notice": s["late"], "average_notice_days": s["average"],
            "distribution": [{"label": label, "changes": n} for label, n, _ in p["history"]["distribution"]],
            "trend": [{"month": f"{t['month']:%Y-%m}", "changes": t["count"], "average_days": t["average"],
                       "short_notice": t["late"]} for t in p["history"]["trend"]],
            "incidents": p["incident_count"], "open_incidents": p["open_incidents"],
            "impacts": p["impacts"]}


class SamePatternTeam(Schema):
    team: str
    name: str
    incidents: int


class SamePattern(Schema):
    incident: int
    rule: str
    count: int
    teams: list[SamePatternTeam]


def _incident(user, pk):
    return get_object_or_404(Incident.objects.visible_to(user).select_related("service_team"), pk=pk)


@router.get("/insights/patterns/incidents/{incident_id}", response={200: SamePattern, **READ})
def incident_pattern(request, incident_id: int):
    """The same pattern as this incident in other service teams (last 12 months)."""
    incident = _incident(request.user, incident_id)
    p = patterns.same_pattern(incident, request.user, timezone.now())
    return {"incident": incident.pk, "rule": p["rule"], "count": p["count"],
            "teams": [{"team": r["team"].slug, "name": r["team"].name, "incidents": r["incidents"]}
                      for r in p["teams"]]}


class DashboardImpact(Schema):
    unit: str
    unit_label: str
    label: str
    total: Decimal
    entries: int
    reporting: int


class DashboardNotice(Schema):
    changes: int
    short_notice: int
    short_notice_share: int | None
    average_days: float | None


class DashboardHealthSide(Schema):
    directions: int
    scored: int
    too_few: int
    median: float | None
    unhealthy: int
    requests: int


class DepartmentDashboard(Schema):
    root: str | None
    teams: int
    months: int
    open_incidents: int
    stable_incidents: int
    incidents_in_period: int
    impacts_suffered: list[DashboardImpact]
    impacts_caused_outside: list[DashboardImpact]
    notice_given: DashboardNotice
    notice_received: DashboardNotice
    notice_received_from_outside: DashboardNotice
    health_inside: DashboardHealthSide
    health_across: DashboardHealthSide


def _dashboard_scope(request, team):
    root = get_object_or_404(Team, slug=team) if team else None
    root, teams = dashboards.dashboard_teams(request.user, root)
    if teams is None:
        raise Http404
    return root, teams


def _notice(f):
    return {"changes": f["n"], "short_notice": f["late"], "short_notice_share": f["late_share"],
            "average_days": f["average"]}


@router.get("/insights/dashboard", response={200: DepartmentDashboard, **BAD})
def dashboard(request, team: str | None = None, months: int = 12):
    """The caller's department: the teams they lead or manage down the tree and their own teams,
    or `team` (one of those) and its sub-teams."""
    root, teams = _dashboard_scope(request, team)
    b = dashboards.department_dashboard(request.user, teams, timezone.now(), months=_months(months))
    side = {k: {x: v for x, v in b["health"][k].items() if x != "worst"} for k in ("inside", "across")}
    return {"root": root.slug if root else None, "teams": b["team_count"], "months": b["months"],
            "open_incidents": b["incidents"]["open"], "stable_incidents": b["incidents"]["stable"],
            "incidents_in_period": b["incidents"]["period"], "impacts_suffered": b["impacts"]["suffered"],
            "impacts_caused_outside": b["impacts"]["caused"], "notice_given": _notice(b["notice"]["given"]),
            "notice_received": _notice(b["notice"]["received"]),
            "notice_received_from_outside": _notice(b["notice"]["received_across"]),
            "health_inside": side["inside"], "health_across": side["across"]}


class DashboardDirection(Schema):
    provider_team: str
    customer_team: str
    boundary: str
    health: float | None
    requests: int
    open: int
    blocked: int


@router.get("/insights/dashboard/directions", response={200: list[DashboardDirection], **BAD})
@paginate(Pages)
def dashboard_directions(request, team: str | None = None, months: int = 12, **kwargs):
    """Every direction with a side in the department, least healthy first."""
    _, teams = _dashboard_scope(request, team)
    rows = dashboards.health_directions(request.user, teams, timezone.now(), _months(months))
    return [{"provider_team": r["provider"].slug, "customer_team": r["customer"].slug,
             "boundary": "inside" if r["inside"] else "across", "health": r["health"], "requests": r["requests"],
             "open": r["open"], "blocked": r["blocked"]} for r in rows]


class CaseUnitTotal(Schema):
    unit: str
    unit_label: str
    label: str
    total: Decimal
    entries: int
    teams: int


class CaseTeamFigure(Schema):
    team: str
    role: str
    unit: str
    unit_label: str
    total: Decimal
    entries: int


class CaseChange(Schema):
    title: str
    team: str
    notice_days: int | None
    short_notice: bool


class CaseAsk(Schema):
    kind: str
    text: str
    asked_by: str
    teams: list[str]
    co_signed_by: list[str]
    answered: bool
    answer: str


class BusinessCaseFigures(Schema):
    incident: int
    title: str
    status: str
    severity: str
    service_team: str | None
    totals: list[CaseUnitTotal]
    by_team: list[CaseTeamFigure]
    teams_not_reporting: list[str]
    changes: list[CaseChange]
    service_team_notice: ServiceTeamPattern | None
    same_pattern: SamePattern
    allied_teams: list[str]
    asks: list[CaseAsk]
    not_shown: list[str]


@router.get("/insights/incidents/{incident_id}/business-case", response={200: BusinessCaseFigures, **READ})
def business_case(request, incident_id: int):
    """The figures of the business case (the page, PDF and CSV read the same): impacts per unit
    and per team, the notice history, the same pattern, the allied teams and asks, and what the
    numbers do not show."""
    incident = _incident(request.user, incident_id)
    c = cases.business_case(incident, request.user, timezone.now())
    by_team = [{"team": row["team"].slug, "role": row["role"], "unit": unit, "unit_label": label,
                "total": cell["total"], "entries": cell["entries"]}
               for row in c["team_rows"] for (unit, label), cell in zip(c["units"], row["cells"], strict=True) if cell]
    notice = _team_pattern(c["history"]) if c["history"] is not None else None
    p = c["pattern"]
    return {"incident": incident.pk, "title": incident.title, "status": incident.status,
            "severity": incident.severity,
            "service_team": incident.service_team.slug if incident.service_team else None,
            "totals": c["per_unit"], "by_team": by_team,
            "teams_not_reporting": [row["team"].slug for row in c["team_rows"]
                                    if not row["reported"] and row["role"] != "Service"],
            "changes": [{"title": ch.title, "team": ch.team.slug, "notice_days": ch.notice_days,
                         "short_notice": ch.late_notice} for ch in c["changes"]],
            "service_team_notice": notice,
            "same_pattern": {"incident": incident.pk, "rule": p["rule"], "count": p["count"],
                             "teams": [{"team": r["team"].slug, "name": r["team"].name, "incidents": r["incidents"]}
                                       for r in p["teams"]]},
            "allied_teams": [t.slug for t in c["allied"]],
            "asks": [{"kind": a.ask_kind, "text": a.ask_text, "asked_by": a.created_by_team.slug,
                      "teams": [m.team.slug for m in a.members.all()],
                      "co_signed_by": [m.team.slug for m in a.members.all() if m.signed_at],
                      "answered": a.answered_at is not None, "answer": a.answer} for a in c["alliances"]],
            "not_shown": c["caveats"]}
