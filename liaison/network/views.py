"""Network pages. Thin: parse the request, call a service, render.

Every list goes through a `visible_to(request.user)` helper; notes appear only on the
author's own pages (`Interaction.note_for`).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.org.models import Person, Team

from . import graph, meetings, services
from .forms import (
    HELP_STRENGTH,
    AttendanceForm,
    CadenceForm,
    HomeworkForm,
    HomeworkStepForm,
    IcalImportForm,
    InteractionForm,
    PathForm,
    apply_errors,
)
from .models import HomeworkPlan, Interaction, MeetingSeries, Nudge, Occurrence, strength_label


def _page(request, items):
    return Paginator(items, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))


def _tie_rows(person, today, viewer):
    return [{"person": other, "strength": round(strength, 1), "label": strength_label(strength),
             "interactions": tie.interactions, "last_on": tie.last_on}
            for tie, other, strength in services.ties_of(person, today, viewer)]


@login_required
def my_network(request):
    today = timezone.localdate()
    interactions = (Interaction.objects.visible_to(request.user).select_related("author")
                    .prefetch_related("participants"))
    page = _page(request, interactions)
    rows = [{"interaction": i, "note": i.note_for(request.user)} for i in page]
    return render(request, "network/my_network.html", {
        "ties": _tie_rows(request.user, today, request.user)[:50],
        "page_obj": page, "rows": rows, "help_strength": HELP_STRENGTH,
        "open_nudges": Nudge.objects.visible_to(request.user).open().count()})


@login_required
def log_interaction(request):
    if request.method == "POST":
        form = InteractionForm(request.POST)
        if form.is_valid():
            try:
                services.log_interaction(request.user, now=timezone.now(), **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Interaction logged. Your ties are up to date.")
                return redirect("network_home")
    else:
        form = InteractionForm(initial={"occurred_on": timezone.localdate(),
                                        "participants": request.GET.get("with", "")})
    return render(request, "network/log.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def person_ties(request, pk):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    return render(request, "network/person_ties.html", {
        "person": person, "ties": _tie_rows(person, timezone.localdate(), request.user),
        "help_strength": HELP_STRENGTH})


@login_required
def nudges(request):
    qs = (Nudge.objects.visible_to(request.user).select_related("team", "other_team")
          .prefetch_related("suggested").order_by("cleared_at", "-created_at"))
    page = _page(request, qs)
    return render(request, "network/nudges.html", {"page_obj": page})


@login_required
def warm_path(request):
    form = PathForm(request.GET or None)
    result, target = None, None
    if form.is_bound and form.is_valid():
        today = timezone.localdate()
        try:
            target, result = services.warm_path_to(request.user, form.cleaned_data["to"], today)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            tie = services.tie_between(request.user.pk, target.pk)
            if tie is not None:
                messages.info(request, f"You already have a tie with {target.name} "
                                       f"({strength_label(tie.strength(today))}).")
    # A search that finds no one is an answer, not a failed request: the page, with the
    # error under the field, status 200 (as any search page; nothing is written).
    return render(request, "network/path.html", {"form": form, "result": result, "target": target})


@login_required
def team_network(request, slug):
    team = get_object_or_404(Team.objects.visible_to(request.user), slug=slug)
    today = timezone.localdate()
    partners = [{"team": other, "bridges": graph.bridges(team, other, today)}
                for other in graph.partner_teams(team, today)]
    can_manage = services.can_manage_team(request.user, team)
    form = CadenceForm(initial={"cadence_days": services.cadence_of(team)})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the team's lead or an org admin may change its cadence.")
        form = CadenceForm(request.POST)
        if form.is_valid():
            try:
                services.set_cadence(team, form.cleaned_data["cadence_days"], by=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Cadence saved.")
                return redirect("network_team", slug=team.slug)
    return render(request, "network/team.html", {
        "team": team, "partners": partners, "cadence": services.cadence_of(team), "form": form,
        "can_manage": can_manage, "flags": meetings.attendance_flags(timezone.now(), [team]),
        "series": meetings.series_for_team(team)}, status=400 if form.errors else 200)


@login_required
def homework(request):
    form = HomeworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.start_homework(request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Step 1 done: you picked a colleague. Now reach out.")
            return redirect("network_homework")
    plans = HomeworkPlan.objects.visible_to(request.user).filter(person=request.user).select_related("colleague")
    led = Team.objects.visible_to(request.user).filter(lead=request.user)
    return render(request, "network/homework.html", {"form": form, "plans": plans, "led": led},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def homework_step(request, pk):
    plan = get_object_or_404(HomeworkPlan.objects.visible_to(request.user), pk=pk)
    form = HomeworkStepForm(request.POST)
    if form.is_valid():
        try:
            services.advance_homework(plan, by=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Step done.")
    return redirect("network_homework")


@login_required
def team_homework(request, slug):
    team = get_object_or_404(Team.objects.visible_to(request.user), slug=slug)
    rows = services.team_homework(team, request.user)
    return render(request, "network/team_homework.html", {"team": team, "rows": rows})


@login_required
def series_list(request):
    qs = MeetingSeries.objects.visible_to(request.user).select_related("owner_team").prefetch_related(
        "expected_teams")
    return render(request, "network/series_list.html", {"page_obj": _page(request, qs)})


@login_required
def series_detail(request, pk):
    series = get_object_or_404(MeetingSeries.objects.visible_to(request.user).select_related("owner_team"), pk=pk)
    now = timezone.now()
    can_manage = meetings.can_manage_series(request.user, series)
    attendance_form, import_form = AttendanceForm(), IcalImportForm()
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(f"Only members of {series.owner_team} may change this series.")
        try:
            if "file" in request.FILES or request.POST.get("action") == "import":
                import_form = IcalImportForm(request.POST, request.FILES)
                if import_form.is_valid():
                    counts = meetings.import_ical(series, import_form.cleaned_data["file"].read(), by=request.user,
                                                  now=now)
                    messages.success(request, "Imported: {created} new, {updated} updated, "
                                              "{cancelled} cancelled.".format(**counts))
                    return redirect("network_series", pk=series.pk)
            else:
                attendance_form = AttendanceForm(request.POST)
                occurrence = get_object_or_404(Occurrence, pk=request.POST.get("occurrence"), series=series)
                if attendance_form.is_valid():
                    meetings.record_attendance(occurrence, by=request.user, now=now, **attendance_form.cleaned_data)
                    messages.success(request, "Attendance recorded.")
                    return redirect("network_series", pk=series.pk)
        except ValidationError as exc:
            apply_errors(import_form if request.FILES else attendance_form, exc)
        status = 400
    occurrences = series.occurrences.prefetch_related("attendance__person").order_by("-starts_at")
    return render(request, "network/series_detail.html", {
        "series": series, "rates": meetings.attendance_rates(series, now), "page_obj": _page(request, occurrences),
        "can_manage": can_manage, "attendance_form": attendance_form, "import_form": import_form, "now": now},
        status=status)
