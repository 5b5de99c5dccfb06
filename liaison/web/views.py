from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from liaison.org.models import Person, Service, Team


@login_required
def home(request):
    user = request.user
    context = {
        "my_teams": user.teams.all().select_related("parent", "lead"),
        "counts": {
            "teams": Team.objects.visible_to(user).count(),
            "people": Person.objects.visible_to(user).count(),
            "services": Service.objects.visible_to(user).count(),
        },
    }
    return render(request, "web/home.html", context)


@login_required
def search(request):
    q = request.GET.get("q", "").strip()[:200]
    results = {}
    if q:
        user = request.user
        results = {
            "people": Person.objects.visible_to(user).search(q)[:20],
            "teams": Team.objects.visible_to(user).filter(name__icontains=q)[:20],
            "services": Service.objects.visible_to(user).search(q).select_related("team")[:20],
        }
    return render(request, "web/search.html", {"q": q, "results": results})


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
