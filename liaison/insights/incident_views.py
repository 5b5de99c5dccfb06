"""Pages of the enterprise-wide incident views: patterns, department dashboards, the business case.

Thin: parse, call patterns / dashboards / business_case, render (HTML, CSV or PDF).
Visibility is the domains' own: an incident the viewer may not see is a 404 (pages, PDF,
CSV alike); every count goes through the `visible_to` helpers inside those modules.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone

from liaison.incidents.models import Incident
from liaison.org.models import Team

from . import business_case as cases
from . import dashboards, patterns
from .pdf import html_to_pdf
from .views import _csv


def _int(request, name, default, low, high):
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        value = default
    return min(max(value, low), high)


def visible_incident(user, pk):
    return get_object_or_404(Incident.objects.visible_to(user).select_related("service_team"), pk=pk)


@login_required
def pattern_ranking(request):
    """Service teams ranked by short notice or disruption, with trend arrows and sample sizes."""
    months = _int(request, "months", 12, 3, 36)
    order = request.GET.get("by", "short_notice")
    order = order if order in patterns.ORDERS else "short_notice"
    ranking = patterns.enterprise_ranking(request.user, timezone.now(), months=months, order=order)
    if request.GET.get("format") == "csv":
        header = ["service_team", "changes", "short_notice", "short_notice_share", "short_notice_trend",
                  "average_notice_days", "incidents", "incidents_before", "affected_teams"]
        header += [u.value for u in patterns.RANKED_UNITS]
        return _csv("service-team-patterns", header, (
            [r["team"].name, r["changes"], r["late"], r["late_share"], r["notice_trend"].text,
             "" if r["average_notice"] is None else round(r["average_notice"], 1), r["incidents"],
             r["incidents_before"], r["affected_teams"]] + [r["impacts"].get(u, 0) for u in patterns.RANKED_UNITS]
            for r in ranking))
    page = Paginator(ranking, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/patterns.html", {
        "page_obj": page, "count": len(ranking), "months": months, "order": order, "orders": patterns.ORDERS,
        "order_label": patterns.ORDERS[order], "minimum": settings.LIAISON_MIN_CHANGE_NOTICE_DAYS,
        "min_sample": patterns.MIN_TREND_SAMPLE})


@login_required
def team_pattern(request, slug):
    """One service team: the notice it gave and its disruptions."""
    team = get_object_or_404(Team, slug=slug)
    pattern = patterns.service_team_pattern(team, request.user, timezone.now(),
                                            months=_int(request, "months", 24, 3, 60))
    return render(request, "insights/team_pattern.html", {"p": pattern, "team": team})


@login_required
def incident_pattern(request, pk):
    """The same pattern as this incident in other service teams."""
    incident = visible_incident(request.user, pk)
    return render(request, "insights/incident_pattern.html", {
        "incident": incident, "pattern": patterns.same_pattern(incident, request.user, timezone.now())})


@login_required
def dashboard(request):
    """A manager's whole subtree (or their own teams), or one team of it with ?team=slug."""
    root = None
    if request.GET.get("team"):
        root = get_object_or_404(Team, slug=request.GET["team"])
    root, teams = dashboards.dashboard_teams(request.user, root)
    if teams is None:
        raise Http404("No such team among yours.")
    months = _int(request, "months", 12, 3, 36)
    now = timezone.now()
    if request.GET.get("format") == "csv":
        rows = dashboards.health_directions(request.user, teams, now, months)
        return _csv("department-relationships", ["provider_team", "customer_team", "boundary", "health",
                                                 "health_parts", "requests", "open", "blocked"],
                    ([r["provider"].name, r["customer"].name, "inside" if r["inside"] else "across", r["health"],
                      r["parts"], r["requests"], r["open"], r["blocked"]] for r in rows))
    board = dashboards.department_dashboard(request.user, teams, now, months=months)
    incidents = Paginator(dashboards.open_incidents(request.user, teams), 10).get_page(request.GET.get("page"))
    team_list = Team.objects.filter(pk__in=teams).order_by("name")
    return render(request, "insights/dashboard.html", {
        "board": board, "root": root, "page_obj": incidents, "months": months,
        "team_names": list(team_list.values_list("name", flat=True)[:12]),
        "roots": Team.objects.filter(pk__in=dashboards.viewer_scope(request.user)).order_by("name"),
        "minimum": settings.LIAISON_MIN_CHANGE_NOTICE_DAYS, "unhealthy": dashboards.UNHEALTHY})


def _case(request, pk):
    incident = visible_incident(request.user, pk)
    return cases.business_case(incident, request.user, timezone.now())


@login_required
def business_case(request, pk):
    return render(request, "insights/business_case.html", {"case": _case(request, pk), "for_pdf": False})


@login_required
def business_case_pdf(request, pk):
    case = _case(request, pk)
    html = render_to_string("insights/business_case_pdf.html", {"case": case, "for_pdf": True,
                                                                "org_name": settings.LIAISON_ORG_NAME,
                                                                "generated_at": timezone.now()})
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="business-case-incident-{pk}.pdf"'
    return response


@login_required
def business_case_csv(request, pk):
    case = _case(request, pk)
    return _csv(f"business-case-incident-{pk}", ["section", "subject", "team", "unit", "value", "sample_size", "note"],
                cases.csv_rows(case))
