from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from liaison.org.models import Person, Service, Team


@login_required
def home(request):
    """The dashboard: your teams, what the directory holds, where to go next."""
    user = request.user
    my_teams = (Team.objects.visible_to(user).filter(members=user).select_related("parent", "lead")
                .annotate(service_count=Count("services", distinct=True)))
    context = {
        "my_teams": my_teams,
        "counts": {
            "teams": Team.objects.visible_to(user).count(),
            "people": Person.objects.visible_to(user).count(),
            "services": Service.objects.visible_to(user).count(),
        },
    }
    return render(request, "web/home.html", context)


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
