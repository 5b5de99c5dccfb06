"""Insights pages. Thin: parse, call scorecards / fairness, render (or write CSV).

Who sees what: a team's partner ranking and a pair page are for the people who see
those teams' requests (members, leads and managers up the tree; org admins and auditors
see all) — everyone else gets a 404. The figures come from
`RequestFact.objects.visible_to(user)`. The fairness audit is for auditors only (403).
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from liaison.core.csvexport import csv_response as _csv
from liaison.network.meetings import attendance_flags
from liaison.org.models import Membership, Team
from liaison.org.visibility import may_read_pair, may_read_team

from . import fairness
from .forms import AuditForm
from .models import AuditRun, DeteriorationAlert, RequestFact
from .scorecards import MONTHLY, pair_scorecard, partner_ranking

MONTHS = 12


def _visible_team(user, slug):
    team = get_object_or_404(Team, slug=slug)
    if not may_read_team(user, team):
        raise Http404("No such team.")
    return team


def _months(request):
    try:
        months = int(request.GET.get("months", MONTHS))
    except ValueError:
        months = MONTHS
    return min(max(months, 3), 36)


@login_required
def index(request):
    """My teams, each linking to its partner ranking."""
    teams = Team.objects.filter(pk__in=Membership.objects.filter(person=request.user).values("team_id"))
    led = Team.objects.filter(lead=request.user)
    teams = (teams | led).distinct().order_by("name")
    return render(request, "insights/index.html", {"teams": teams})


@login_required
def partners(request, slug):
    team = _visible_team(request.user, slug)
    months = _months(request)
    now = timezone.now()
    ranking = partner_ranking(RequestFact.objects.visible_to(request.user), team, now=now, months=months)
    if request.GET.get("format") == "csv":
        return _csv(f"{team.slug}-partners", [
            "partner", "health", "health_as_provider", "health_as_customer", "requests", "open", "blocked"],
            [[r["team"].name, r["health"], (r["as_provider"] or {}).get("health"),
              (r["as_customer"] or {}).get("health"), r["requests"],
              sum((r[s] or {}).get("open", 0) for s in ("as_provider", "as_customer")),
              sum((r[s] or {}).get("blocked", 0) for s in ("as_provider", "as_customer"))] for r in ranking])
    page = Paginator(ranking, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/partners.html", {"team": team, "page_obj": page, "months": months,
                                                      "partners_count": len(ranking)})


def _fmt(value, unit):
    if value is None:
        return ""
    return f"{value:.1f}"


def _scorecard_rows(cards):
    for card in cards:
        direction = f"{card['provider_team'].name} serving {card['customer_team'].name}"
        for side in ("provider", "customer"):
            for f in card[side]:
                yield [direction, side, f["label"], "" if not f["enough"] else _fmt(f["value"], f["unit"]),
                       f["unit"], "" if f["lo"] is None else _fmt(f["lo"], f["unit"]),
                       "" if f["hi"] is None else _fmt(f["hi"], f["unit"]), f["n"], f["note"]]


def _monthly_rows(cards):
    for card in cards:
        direction = f"{card['provider_team'].name} serving {card['customer_team'].name}"
        series = card["monthly"]
        for i, month in enumerate(series["months"]):
            row = [direction, f"{month:%Y-%m}"]
            for key in MONTHLY:
                value = series[key]["values"][i]
                row += ["" if value is None else f"{value:.2f}", series[key]["n"][i]]
            yield row


def _chart_data(card):
    series = card["monthly"]
    x = [int(dt.datetime.combine(m, dt.time(), tzinfo=dt.UTC).timestamp()) for m in series["months"]]

    def lines(keys):
        return [{"label": series[k]["label"], "values": series[k]["values"], "trend": series[k]["trend"]}
                for k in keys]

    return {"x": x, "charts": {
        "times": {"unit": "hours", "series": lines(["ack", "deliver"])},
        "rates": {"unit": "%", "series": lines(["on_time", "decline", "short_notice"])},
        "quality": {"unit": "1-5", "series": lines(["quality"])},
    }}


@login_required
def pair(request, a, b, table=None):
    team_a, team_b = get_object_or_404(Team, slug=a), get_object_or_404(Team, slug=b)
    if not may_read_pair(request.user, team_a, team_b):
        raise Http404("No such pair of teams.")
    months = _months(request)
    now = timezone.now()
    cards = pair_scorecard(RequestFact.objects.visible_to(request.user), team_a, team_b, now=now, months=months)
    if table == "scorecard":
        return _csv(f"{a}-{b}-scorecard", ["direction", "side", "measure", "value", "unit", "ci_low", "ci_high",
                                           "sample_size", "note"], _scorecard_rows(cards))
    if table == "monthly":
        header = ["direction", "month"]
        for key in MONTHLY:
            header += [key, f"{key}_n"]
        return _csv(f"{a}-{b}-monthly", header, _monthly_rows(cards))
    if table is not None:
        raise Http404("No such table.")
    alerts = DeteriorationAlert.objects.filter(provider_team__in=[team_a, team_b],
                                               requester_team__in=[team_a, team_b])[:12]
    for i, card in enumerate(cards):
        card["chart_id"] = f"chart-data-{i}"
        card["chart"] = _chart_data(card)
        card["months_rows"] = [
            {"month": m, "cells": [(card["monthly"][k]["values"][j], card["monthly"][k]["n"][j]) for k in MONTHLY]}
            for j, m in enumerate(card["monthly"]["months"])]
    return render(request, "insights/pair.html", {
        "team_a": team_a, "team_b": team_b, "cards": cards, "months": months, "alerts": alerts,
        "monthly_labels": [(k, v[0], v[1]) for k, v in MONTHLY.items()],
        "attendance": attendance_flags(now, teams=[team_a, team_b])})


@login_required
def audit(request):
    if not request.user.is_auditor:
        raise PermissionDenied("Only auditors may run the fairness audit.")
    result, status = None, 200
    if request.method == "POST":
        form = AuditForm(request.POST)
        if form.is_valid():
            try:
                result = fairness.run_audit(by=request.user, now=timezone.now(), **form.audit_arguments())
            except ValidationError as exc:
                form.apply(exc)
                status = 400
            else:
                if request.POST.get("format") == "csv":
                    return _csv("fairness-audit", _AUDIT_HEADER, _audit_rows(result))
        else:
            status = 400
    else:
        form = AuditForm()
    runs = AuditRun.objects.visible_to(request.user).select_related("by")[:20]
    return render(request, "insights/audit.html", {"form": form, "result": result, "runs": runs,
                                                  "min_group": settings.LIAISON_MIN_GROUP_SIZE},
                  status=status)


_AUDIT_HEADER = ["attribute", "group", "people", "observations", "value", "compared_with", "test", "statistic",
                 "p", "p_adjusted", "effect", "effect_value", "effect_ci_low", "effect_ci_high", "flagged"]


def _audit_rows(result):
    for attribute in result["attributes"]:
        by_label = {c["label"]: c for c in attribute["comparisons"]}
        for g in attribute["groups"]:
            c = by_label.get(g["label"])
            row = [attribute["label"], g["display"], g["people"], g["n"], g["value"]]
            if c:
                e = c["effect"]
                row += [c["versus"], c["test"], c["statistic"], c["p"], c["p_adj"], e["name"], e["value"], e["lo"],
                        e["hi"], c["flagged"]]
            yield row


@login_required
def audit_log(request):
    if not request.user.is_auditor:
        raise PermissionDenied("Only auditors may read the audit log.")
    runs = AuditRun.objects.visible_to(request.user).select_related("by")
    return _csv("fairness-audit-log", ["at", "by", "scope", "measure", "attributes", "from", "to", "groups_compared",
                                       "groups_suppressed", "flagged"],
                [[r.at.isoformat(), r.by.email, f"{r.scope_kind}: {r.scope_name}", r.measure, r.attributes,
                  f"{r.period_start:%Y-%m}", f"{r.period_end:%Y-%m}", r.groups_compared, r.groups_suppressed,
                  r.flagged] for r in runs])
