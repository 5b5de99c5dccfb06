"""Department dashboards: a senior manager's whole subtree at once (issue 12).

Whose teams: the teams the viewer leads or manages, down the tree (requests'
scope_team_ids, the one org-tree scope helper), plus the teams they belong to — so a
person who manages no one sees their own teams. A manager may narrow it to one team of
that scope and its sub-teams (`root`); an org admin may pick any team as the root.

What, over the last `months`:
- incidents involving the subtree (as the service side or an affected team), open ones
  by severity, and the impacts logged — by the subtree's teams (what it suffered) and on
  the subtree's services by teams outside (what it caused across the boundary);
- notice given (the subtree's changes) and notice received (changes that collided with
  the subtree's events), late when below LIAISON_MIN_CHANGE_NOTICE_DAYS;
- relationship health of every direction (provider team → customer team) with a side in
  the subtree: inside it, or across its boundary — the pair scorecards' health score
  (scorecards._health over the same aggregates), one GROUP BY over RequestFact.

Every figure goes through the visibility helpers (Incident/Change/Conflict/RequestFact
`visible_to`), so a dashboard never counts what its viewer could not open.
"""

from statistics import median

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Case, Count, IntegerField, Q, Sum, Value, When

from liaison.agenda.models import Change, Conflict
from liaison.incidents.models import Impact, Incident, IncidentTeam, Severity, Unit
from liaison.org.models import Team
from liaison.org.visibility import readable_team_ids

from .models import RequestFact
from .patterns import window
from .scorecards import _health, _health_aggregates, period

#: How many of the worst directions each side of the boundary lists (the CSV has them all).
WORST = 10
UNHEALTHY = 60


def descendants(team_ids):
    """The teams and all their sub-teams (one query per level of the tree)."""
    found, frontier = set(team_ids), list(team_ids)
    while frontier:
        frontier = [pk for pk in Team.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
                    if pk not in found]
        found.update(frontier)
    return found


def viewer_scope(viewer):
    """Team ids the viewer's dashboard covers by default: the teams whose work they may read
    (own teams, and the led or managed subtree) — org.visibility's one rule."""
    return set(readable_team_ids(viewer))


def dashboard_teams(viewer, root=None):
    """(root team or None, set of team ids). A root outside the viewer's scope is refused (None, None)."""
    scope = viewer_scope(viewer)
    if root is None:
        return None, scope
    if root.pk not in scope:
        return None, None
    return root, descendants([root.pk]) & scope


def department_dashboard(viewer, teams, now, *, months=12):
    """Everything the dashboard shows for the team ids `teams`."""
    teams = set(teams)
    start, _ = window(now, months)
    return {"teams": teams, "team_count": len(teams), "months": months,
            "incidents": _incidents(viewer, teams, start),
            "impacts": _impacts(viewer, teams, start),
            "notice": _notice(viewer, teams, start),
            "health": _health_rollup(viewer, teams, now, months)}


def covered(viewer, teams):
    """True when everything involving `teams` is visible to `viewer` anyway.

    That is so when the teams are among those whose work the viewer may read (what
    dashboard_teams returns): Incident.visible_to and RequestFact.visible_to both admit
    whatever involves those teams. Then the dashboard skips those filters, which at a
    division's scale repeat a list of hundreds of team ids in every query for nothing
    (bench/incidents_scale.py); any other set of teams goes through them.
    """
    return set(teams) <= viewer_scope(viewer)


def incidents_involving(viewer, teams):
    """Incidents with one of `teams` as the service side or an involved team, that `viewer` may see."""
    base = Incident.objects.all() if covered(viewer, teams) else Incident.objects.visible_to(viewer)
    involved = IncidentTeam.objects.filter(team_id__in=teams).values("incident_id")
    return base.filter(Q(service_team_id__in=teams) | Q(pk__in=involved))


def _incidents(viewer, teams, start):
    not_closed = ~Q(status="closed")
    severities = {f"sev_{value}": Count("pk", filter=not_closed & Q(severity=value)) for value, _ in Severity.choices}
    counts = incidents_involving(viewer, teams).aggregate(
        open=Count("pk", filter=Q(status="open")), stable=Count("pk", filter=Q(status="stable")),
        period=Count("pk", filter=Q(opened_at__gte=start)),
        as_service=Count("pk", filter=Q(opened_at__gte=start, service_team_id__in=teams)), **severities)
    counts["by_severity"] = [(label, counts.pop(f"sev_{value}")) for value, label in reversed(Severity.choices)]
    return counts


def open_incidents(viewer, teams):
    """The open (not closed) incidents involving the teams, most severe and newest first."""
    order = {s: i for i, s in enumerate([Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW])}
    rank = Case(*[When(severity=s, then=Value(i)) for s, i in order.items()], output_field=IntegerField())
    return (incidents_involving(viewer, teams).open().select_related("service_team")
            .annotate(rank=rank).order_by("rank", "-opened_at", "-pk"))


def _unit_label(unit, label):
    if unit in (Unit.OTHER, Unit.MONEY) and label:
        return label if unit == Unit.OTHER else f"{Unit(unit).label} ({label})"
    return Unit(unit).label


def _impacts(viewer, teams, start):
    """Impacts in the period: suffered by the subtree's teams, and caused to teams outside it."""
    base = Impact.objects.filter(incident__in=incidents_involving(viewer, teams).filter(opened_at__gte=start))

    def per_unit(qs):
        rows = (qs.values("unit", "unit_label").order_by("unit", "unit_label")
                .annotate(total=Sum("amount"), entries=Count("pk"), reporting=Count("team_id", distinct=True),
                          incidents=Count("incident_id", distinct=True)))
        return [{**r, "label": _unit_label(r["unit"], r["unit_label"])} for r in rows]

    return {"suffered": per_unit(base.filter(team_id__in=teams)),
            "caused": per_unit(base.filter(incident__service_team_id__in=teams).exclude(team_id__in=teams))}


def _notice_figures(qs):
    late = Q(notice_days__lt=settings.LIAISON_MIN_CHANGE_NOTICE_DAYS)
    row = qs.aggregate(n=Count("pk"), late=Count("pk", filter=late), average=Avg("notice_days"))
    row["late_share"] = round(100 * row["late"] / row["n"]) if row["n"] else None
    return row


def _notice(viewer, teams, start):
    """Notice given by the subtree's changes; notice received through collisions with its events."""
    given = Change.objects.visible_to(viewer).filter(team_id__in=teams, notice_days__isnull=False, start__gte=start)
    collided = (Conflict.objects.visible_to(viewer).filter(event__team_id__in=teams, change__start__gte=start)
                .values("change_id"))
    received = Change.objects.filter(pk__in=collided, notice_days__isnull=False)
    return {"given": _notice_figures(given),
            "given_outside": _notice_figures(given.filter(
                pk__in=Conflict.objects.filter(change__team_id__in=teams).exclude(event__team_id__in=teams)
                .values("change_id"))),
            "received": _notice_figures(received),
            "received_across": _notice_figures(received.exclude(team_id__in=teams))}


def health_directions(viewer, teams, now, months):
    """Every direction with a side in `teams`: health (or None: too few), requests, inside or across."""
    if not teams:  # someone who leads and belongs to nothing: an empty IN () cannot even be compiled
        return []
    first, last = period(now, months)
    now_s = int(now.timestamp())
    facts = RequestFact.objects.all() if covered(viewer, teams) else RequestFact.objects.visible_to(viewer)
    aggregates = _health_aggregates(now_s)
    qs = (facts.filter(month__gte=first, month__lte=last)
          .filter(Q(provider_team_id__in=teams) | Q(requester_team_id__in=teams))
          .values("provider_team_id", "requester_team_id").order_by().annotate(**aggregates))
    # A division has thousands of directions: read the aggregated rows as plain tuples
    # (columns: the two team ids, then the aggregates in the order given) rather than
    # through Django's per-value converters and dicts, which cost more than the query.
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    keys = [k.removeprefix("a_") for k in aggregates]
    rows = []
    for provider_id, customer_id, *values in raw:
        a = {k: v or 0 for k, v in zip(keys, values, strict=True)}
        health, parts = _health(a)
        rows.append({"provider_id": provider_id, "customer_id": customer_id, "health": health, "parts": parts,
                     "requests": a["n"], "open": a["open"], "blocked": a["blocked"],
                     "inside": provider_id in teams and customer_id in teams})
    names = Team.objects.only("pk", "name", "slug").in_bulk({r["provider_id"] for r in rows}
                                                            | {r["customer_id"] for r in rows})
    for r in rows:
        r["provider"], r["customer"] = names[r["provider_id"]], names[r["customer_id"]]
    rows.sort(key=lambda r: (r["health"] is None, r["health"] if r["health"] is not None else 0, -r["requests"]))
    return rows


def _health_rollup(viewer, teams, now, months):
    rows = health_directions(viewer, teams, now, months)
    out = {}
    for key, inside in (("inside", True), ("across", False)):
        mine = [r for r in rows if r["inside"] is inside]
        scored = [r["health"] for r in mine if r["health"] is not None]
        out[key] = {"directions": len(mine), "scored": len(scored), "too_few": len(mine) - len(scored),
                    "median": round(median(scored), 1) if scored else None,
                    "unhealthy": sum(1 for h in scored if h < UNHEALTHY),
                    "requests": sum(r["requests"] for r in mine),
                    "worst": [r for r in mine if r["health"] is not None][:WORST]}
    return out
