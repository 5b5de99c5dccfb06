"""Directory pages. Thin: read the request, call the model or a service, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .models import Person, Service, Team


@login_required
def team_list(request):
    teams = Team.objects.visible_to(request.user).select_related("lead", "parent")
    return render(request, "org/team_list.html", {"teams": teams})


@login_required
def team_detail(request, slug):
    team = get_object_or_404(Team.objects.visible_to(request.user), slug=slug)
    return render(request, "org/team_detail.html", {"team": team})


@login_required
def person_detail(request, pk):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    return render(request, "org/person_detail.html", {"person": person})


@login_required
def service_list(request):
    services = Service.objects.visible_to(request.user).select_related("team")
    return render(request, "org/service_list.html", {"services": services})


@login_required
def service_detail(request, slug):
    service = get_object_or_404(Service.objects.visible_to(request.user), slug=slug)
    return render(request, "org/service_detail.html", {"service": service})


@login_required
def import_org(request):
    return render(request, "org/import.html", {})


@login_required
def tokens(request):
    return render(request, "org/tokens.html", {})
