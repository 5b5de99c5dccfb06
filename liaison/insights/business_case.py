"""The business case for senior managers, from recorded numbers only (seed 002).

"Make a business case for immediate intervention. Use numbers. The numbers need not be
in units of currency — market share, labor hours, months of delay …". This module turns
one incident into that case: what every team logged (per unit and per team, with how many
entries are behind each figure), the pattern behind it (the service team's notice history
and the same pattern in other service teams), the allied teams and their asks, and — as
important — what the numbers do not show: affected teams that logged nothing, samples too
small to trust, money in several currencies that cannot be added, and that everything is
limited to what the reader may see.

No figure is typed into the report: every number comes from Impact, Change.notice_days,
Alliance and the retrospective. The page, the PDF, the CSV and the API read this one dict.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from liaison.agenda.models import Change
from liaison.incidents.models import Alliance, IncidentTeam, Unit

from .charts import Bar, hbar_chart
from .dashboards import _unit_label
from .patterns import MIN_TREND_SAMPLE, same_pattern, service_team_pattern

UNIT_ORDER = [u.value for u in Unit]


def _unit_key(row):
    return UNIT_ORDER.index(row["unit"]), row["unit_label"]


def business_case(incident, viewer, now):
    """Everything the business case says about `incident` (which `viewer` may see)."""
    links = list(incident.team_links.select_related("team").order_by("role", "team__name"))
    impacts = incident.impacts.all()
    per_unit = sorted(impacts.values("unit", "unit_label").order_by()
                      .annotate(total=Sum("amount"), entries=Count("pk"), teams=Count("team_id", distinct=True)),
                      key=_unit_key)
    cells = list(impacts.values("team_id", "team__name", "unit", "unit_label").order_by()
                 .annotate(total=Sum("amount"), entries=Count("pk")))
    for row in per_unit + cells:
        row["label"] = _unit_label(row["unit"], row["unit_label"])
    by_team = defaultdict(dict)
    for c in cells:
        by_team[c["team_id"]][(c["unit"], c["unit_label"])] = c
    by_team = dict(by_team)  # reading a team that logged nothing must not add it
    units = [(u["unit"], u["unit_label"]) for u in per_unit]
    team_rows = [{"team": link.team, "role": link.get_role_display(),
                  "cells": [by_team.get(link.team_id, {}).get(u) for u in units],
                  "reported": link.team_id in by_team} for link in links]
    charts = [{"label": u["label"], "svg": hbar_chart(
        [Bar(c["team__name"], float(c["total"]), note=f"{c['entries']} entr{'y' if c['entries'] == 1 else 'ies'}")
         for c in sorted(cells, key=lambda c: -c["total"]) if (c["unit"], c["unit_label"]) == (u["unit"],
                                                                                                u["unit_label"])],
        title=f"{u['label']} by team", unit="")} for u in per_unit]

    linked = incident.changes.all()
    changes = list(linked.filter(pk__in=Change.objects.visible_to(viewer).values("pk")).select_related("team"))
    hidden_changes = linked.count() - len(changes)
    pattern = same_pattern(incident, viewer, now)
    history = service_team_pattern(incident.service_team, viewer, now) if incident.service_team_id else None
    alliances = list(Alliance.objects.visible_to(viewer)
                     .filter(Q(incident=incident) | (Q(conflict_id=incident.conflict_id) if incident.conflict_id
                                                     else Q(pk__in=[])))
                     .select_related("created_by_team").prefetch_related("members__team"))
    allied = sorted({m.team for a in alliances for m in a.members.all() if m.joined_at}, key=lambda t: t.name)
    retro = getattr(incident, "retrospective", None)  # the reverse one-to-one raises AttributeError when none
    return {"incident": incident, "links": links, "per_unit": per_unit, "units": units, "team_rows": team_rows,
            "charts": charts, "changes": changes, "hidden_changes": hidden_changes, "pattern": pattern,
            "history": history, "alliances": alliances, "allied": allied, "retrospective": retro,
            "entries": sum(u["entries"] for u in per_unit),
            "caveats": caveats(links, by_team, per_unit, history, pattern, hidden_changes)}


def caveats(links, by_team, per_unit, history, pattern, hidden_changes):
    """What the numbers do not show, in plain sentences."""
    out = []
    silent = [link.team.name for link in links
              if link.role == IncidentTeam.Role.AFFECTED and link.team_id not in by_team]
    if silent:
        out.append(f"{len(silent)} affected team{'s' if len(silent) != 1 else ''} logged no impact: "
                   f"{', '.join(silent)}. Their consequences are not in these totals.")
    for u in per_unit:
        if u["entries"] < MIN_TREND_SAMPLE:
            out.append(f"{u['label']}: {u['entries']} entr{'y' if u['entries'] == 1 else 'ies'} from "
                       f"{u['teams']} team{'s' if u['teams'] != 1 else ''} — a small sample.")
    currencies = {u["unit_label"] for u in per_unit if u["unit"] == Unit.MONEY}
    if len(currencies) > 1:
        out.append(f"Money was logged in {len(currencies)} currencies ({', '.join(sorted(currencies))}); "
                   "they are shown apart, never added.")
    if not per_unit:
        out.append("No impact has been logged yet: the case has no figures of its own.")
    if history is not None:
        total = history["history"]["summary"]["total"]
        if total < MIN_TREND_SAMPLE:
            out.append(f"The notice history of {history['team'].name} rests on {total} announced "
                       f"change{'s' if total != 1 else ''}: too few to call a pattern.")
    else:
        out.append("No service team is named on this incident, so there is no notice history behind it.")
    if hidden_changes:
        out.append(f"{hidden_changes} linked change{'s are' if hidden_changes != 1 else ' is'} confidential "
                   "and not shown to you.")
    out.append("Every count here is limited to the incidents and changes you may see; "
               f"the same pattern counts {pattern['count']} other service team{'s' if pattern['count'] != 1 else ''} "
               "among those.")
    return out


def amount(value):
    """A Decimal total as plain text, the same on SQLite and PostgreSQL ("48.5", "1500")."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def csv_rows(case):
    """The figures of the case, one per row: section, subject, team, unit, value, sample size, note."""
    incident = case["incident"]
    yield ["incident", incident.title, "", "severity", incident.get_severity_display(), "",
           incident.get_status_display()]
    for u in case["per_unit"]:
        yield ["impact total", incident.title, "all teams", u["label"], amount(u["total"]), u["entries"],
               f"{u['teams']} teams reporting"]
    for row in case["team_rows"]:
        if not row["reported"]:
            yield ["impact by team", incident.title, row["team"].name, "", "", 0, "logged no impact"]
        for (unit, label), cell in zip(case["units"], row["cells"], strict=True):
            if cell:
                yield ["impact by team", incident.title, row["team"].name, _unit_label(unit, label),
                       amount(cell["total"]), cell["entries"], row["role"]]
    for change in case["changes"]:
        yield ["linked change", change.title, change.team.name, "notice (business days)",
               "" if change.notice_days is None else change.notice_days, 1, "late" if change.late_notice else ""]
    history = case["history"]
    if history is not None:
        s = history["history"]["summary"]
        team = history["team"].name
        yield ["notice history", "changes announced", team, "changes", s["total"], s["total"], ""]
        yield ["notice history", "short notice", team, "changes", s["late"], s["total"],
               f"below {history['history']['minimum']} business days"]
        yield ["notice history", "average notice", team, "business days",
               "" if s["average"] is None else round(s["average"], 1), s["total"], ""]
        for label, count, _pct in history["history"]["distribution"]:
            yield ["notice distribution", label, team, "changes", count, s["total"], ""]
        for m in history["history"]["trend"]:
            yield ["notice trend", f"{m['month']:%Y-%m}", team, "business days (average)",
                   round(m["average"], 1) if m["average"] is not None else "", m["count"], f"{m['late']} late"]
    for p in case["pattern"]["teams"]:
        yield ["same pattern", case["pattern"]["rule"], p["team"].name, "incidents", p["incidents"], p["incidents"], ""]
    for a in case["alliances"]:
        signed = sum(1 for m in a.members.all() if m.signed_at)
        yield ["ask", a.get_ask_kind_display(), a.created_by_team.name, "teams co-signing", signed,
               len(a.members.all()), "answered" if a.answered_at else "not answered yet"]
    for text in case["caveats"]:
        yield ["not shown by the numbers", text, "", "", "", "", ""]
