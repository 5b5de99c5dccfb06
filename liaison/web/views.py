from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from liaison.org.models import Person, Service, Team
from liaison.requests.models import Request

from . import needs as needs_module


def _zone(user):
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _home_context(request, errors=None, done=""):
    user, now = request.user, timezone.now()
    ctx, needs = needs_module.needs_of(user, now)
    shown = set()
    for n in needs:
        key = f"{n.step.get('action')}-{getattr(n.obj, 'pk', '')}"
        n.error = (errors or {}).get(key, "")
        shown.add(key)
    return {
        # a refusal for a row the list no longer shows (or never showed) is said at the top
        "error": " ".join(e for k, e in (errors or {}).items() if k not in shown),
        "groups": needs_module.grouped(ctx, needs), "need_count": len(needs), "my_teams": list(ctx.teams.values()),
        "leads": bool(ctx.led), "member_load": needs_module.member_load(ctx), "rollup": needs_module.rollup(ctx),
        "errors": errors or {}, "done": done, "quality_choices": range(5, 0, -1),
    }


@login_required
def home(request):
    """What needs you: one personal list, most urgent first, each row with its next step."""
    with timezone.override(_zone(request.user)):
        return render(request, "web/home.html", _home_context(request))


#: The request steps the home runs inline; the forms and services are the request page's own.
INLINE_ACTIONS = ("acknowledge", "deliver", "confirm", "accept", "thank")


@require_POST
@login_required
def home_act(request, pk, action):
    """Take a row's next step without leaving the home (HTMX swaps the list; plain POST redirects)."""
    from liaison.requests.views import ACTIONS

    if action not in INLINE_ACTIONS:
        raise Http404
    a = ACTIONS[action]
    req = get_object_or_404(Request.objects.visible_to(request.user).select_related(
        "service__team", "provider_team", "requester_team", "requester", "provider_owner"), pk=pk)
    form = a.form(request.POST, prefix=a.name)
    error, done = "", ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            a.call(req, by=request.user, now=timezone.now(), **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            done = f"{a.done} ({req.title})"
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or done)
        return redirect("home")
    with timezone.override(_zone(request.user)):
        context = _home_context(request, errors={f"{action}-{pk}": error} if error else None, done=done)
        return render(request, "web/_needs.html", context, status=400 if error else 200)


SEARCH_LIMIT = 20


@login_required
def search(request):
    """People, teams and services matching the header search box; the first 20 of each."""
    q = request.GET.get("q", "").strip()[:200]
    results = {}
    if q:
        user = request.user
        results = {
            "people": list(Person.objects.visible_to(user).search(q)[:SEARCH_LIMIT]),
            "teams": list(Team.objects.visible_to(user).search(q)
                          .select_related("parent")[:SEARCH_LIMIT]),
            "services": list(Service.objects.visible_to(user).search(q).select_related("team")[:SEARCH_LIMIT]),
        }
    total = sum(len(found) for found in results.values())
    return render(request, "web/search.html", {"q": q, "results": results, "total": total, "limit": SEARCH_LIMIT})


@never_cache
@require_GET
def healthz(request):
    """For load balancers: answers without signing in; 503 when the database is down."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def not_found(request, exception=None):
    """404 for every URL no route matches: JSON under /api/ (as the API's own 404s), the page elsewhere.

    An API address with a malformed id (`/api/v1/requests/abc`) matches no route, so ninja
    never sees it; a client should still get JSON, not an HTML page.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
