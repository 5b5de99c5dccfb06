
"""Agenda pages. Thin: parse (forms), call a service, render in the viewer's time zone.

Every object comes through `Model.objects.visible_to(request.user)`: what a person may
not see is a 404, never a hint. Actions are POSTs that redirect back (PRG).
"""

import calendar as pycal
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from liaison.core.times import local_input, zone_of
from liaison.org.models import Service, Team
from liaison.org.scope import list_scope

from . import ical, notice, scheduling, services
from .conflicts import explain as explain_conflict
from .forms import (
    ChangeEditForm,
    ChangeForm,
    EventEditForm,
    EventForm,
    FreezeForm,
    MaintenanceForm,
    RescheduleForm,
    TextForm,
    apply_errors,
)
from .models import Change, Conflict, Event, FeedToken, FreezeWindow, MaintenanceWindow


def _render(request, template, context, status=200):
    """Render with times shown in the viewer's own time zone."""
    zone = services.person_zone(request.user)
    with timezone.override(zone):
        context.setdefault("viewer_zone", zone.key)
        return render(request, template, context, status=status)


def _page(request, queryset):
    return Paginator(queryset, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))


def _now():
    return timezone.now()


def _fail(request, exc):
    if isinstance(exc, PermissionDenied):
        messages.error(request, str(exc) or "You may not do this.")
    else:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                         for k, v in exc.message_dict.items()) if hasattr(exc, "error_dict")
                       else " ".join(exc.messages))


# --- overview -----------------------------------------------------------------------------------

@login_required
def overview(request):
    user, now = request.user, _now()
    scope = list_scope(request, "agenda")
    conflicts = _scoped_conflicts(Conflict.objects.visible_to(user).unsettled(), scope)
    conflicts = conflicts.select_related("change__team", "event__team", "freeze").order_by("-score", "overlap_start")
    my_teams = scope.teams
    changes = Change.objects.visible_to(user).filter(end__gt=now, status__in=Change.LIVE)
    events = Event.objects.visible_to(user).filter(end__gt=now, status=Event.Status.SCHEDULED)
    return _render(request, "agenda/overview.html", {
        "conflicts": conflicts[:10], "my_teams": my_teams, "scope": scope,
        "changes": _scoped_changes(changes, scope).select_related("team")[:10],
        "events": _scoped_events(events, scope).select_related("team")[:10],
    })


# --- lists that start from you (liaison.org.scope) ---------------------------------------------

def _scoped_conflicts(conflicts, scope):
    """Mine: conflicts where one of my teams is either side."""
    if not scope.mine:
        return conflicts
    ids = scope.team_ids
    return conflicts.filter(Q(change__team__in=ids) | Q(event__team__in=ids) | Q(freeze__team__in=ids))


def _scoped_changes(changes, scope):
    """Mine: my teams' changes, and changes that collide with my teams' events or freezes."""
    if not scope.mine:
        return changes
    ids = scope.team_ids
    mine = Conflict.objects.filter(Q(event__team__in=ids) | Q(freeze__team__in=ids)).values("change_id")
    return changes.filter(Q(team__in=ids) | Q(pk__in=mine))


def _scoped_events(events, scope):
    """Mine: my teams' events, events shared with them, and events my teams' changes collide with."""
    if not scope.mine:
        return events
    ids = scope.team_ids
    hit = Conflict.objects.filter(change__team__in=ids, event__isnull=False).values("event_id")
    shared = Event.shared_with.through.objects.filter(team__in=ids).values("event_id")
    return events.filter(Q(team__in=ids) | Q(pk__in=shared) | Q(pk__in=hit))


# --- changes ---------------------------------------------------------------------------------------

@login_required
def change_list(request):
    scope = list_scope(request, "agenda.changes")
    changes = (_scoped_changes(Change.objects.visible_to(request.user), scope).select_related("team")
               .annotate(open_conflicts=Count("conflicts", filter=Q(conflicts__status__in=Conflict.UNSETTLED)))
               .order_by("-start"))
    status = request.GET.get("status", "")
    if status in Change.Status.values:
        changes = changes.filter(status=status)
    return _render(request, "agenda/change_list.html", {
        "page_obj": _page(request, changes), "status": status, "statuses": Change.Status.choices, "scope": scope,
        "minimum": settings.LIAISON_MIN_CHANGE_NOTICE_DAYS})


@login_required
def change_create(request):
    form = ChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.create_change(
                team=data["team"], title=data["title"], services=list(data["services"]), start=data["start"],
                end=data["end"], time_zone=data["time_zone"], risk=data["risk"], by=request.user, now=_now(),
                rollback_plan=data["rollback_plan"], description=data["description"],
                confidential=data["confidential"], shared_with=list(data["shared_with"]), publish=data["publish"])
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error("team", str(exc))
            else:
                apply_errors(form, exc)
        else:
            n = change.conflicts.count()
            messages.success(request, f"Change “{change.title}” saved."
                             + (f" It collides with {n} item{'s' if n != 1 else ''}: see below." if n else ""))
            return redirect(change)
    return _render(request, "agenda/item_form.html", {"form": form, "kind": "change",
                                                      "title": "Plan a change"},
                   status=400 if form.errors else 200)


def _change(request, pk):
    return get_object_or_404(Change.objects.visible_to(request.user).select_related("team__lead"), pk=pk)


@login_required
def change_detail(request, pk):
    change, now, user = _change(request, pk), _now(), request.user
    conflicts = (Conflict.objects.visible_to(user).filter(change=change)
                 .select_related("event__team", "freeze").order_by("status", "-score"))
    can_edit = services.may_edit(user, change)
    unsettled = [c for c in conflicts if c.is_unsettled]
    proposals = scheduling.propose_windows(change, now) if (unsettled and can_edit and change.is_live) else []
    return _render(request, "agenda/change_detail.html", {
        "change": change, "conflicts": conflicts, "unsettled": unsettled, "can_edit": can_edit,
        "services_list": change.services.select_related("team"), "proposals": proposals,
        "affected": services.affected_customers(change, user, now),
        "reschedules": change.reschedules.select_related("by"),
        # In the viewer's zone, prefilled with the current window (was: the change's zone, empty).
        "reschedule_form": RescheduleForm(user=user, initial={
            "time_zone": zone_of(user).key, "start": local_input(change.start, user),
            "end": local_input(change.end, user)}),
        "minimum": settings.LIAISON_MIN_CHANGE_NOTICE_DAYS,
    })


def _unsettled(user, item):
    """Pks of the item's unsettled conflicts the person may see."""
    return set(Conflict.objects.visible_to(user).unsettled()
               .filter(**{item._meta.model_name: item}).values_list("pk", flat=True))


def _edit(request, item, form_class, update):
    """The Edit page of a change or an event: the API's PATCH behind a form.

    Only editors get the page (others a 403; who cannot see the item has had a 404). The
    service gets only the fields changed; on bad input it writes nothing and its errors land
    on the fields they name.
    """
    user = request.user
    services.require_editor(user, item)
    kind = item._meta.verbose_name
    heading = f"Edit the {kind} “{item.title}”"  # before the service touches the object
    form = form_class(request.POST or None, initial=form_class.initial_for(item), user=user)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.success(request, "Nothing changed.")
            return redirect(item)
        before = _unsettled(user, item)
        try:
            update(item, by=user, now=_now(), **form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            after = _unsettled(user, item)
            text, n, gone = f"{kind.capitalize()} saved.", len(after), len(before - after)
            if n:
                text += f" It collides with {n} item{pluralize(n)}: see below."
            if gone:
                text += " 1 conflict no longer applies." if gone == 1 else f" {gone} conflicts no longer apply."
            messages.success(request, text)
            return redirect(item)
    return _render(request, "agenda/item_form.html", {"form": form, "kind": kind, "title": heading,
                                                      "item": item, "cancel_url": item.get_absolute_url()},
                   status=400 if form.errors else 200)


@login_required
def change_edit(request, pk):
    return _edit(request, _change(request, pk), ChangeEditForm, services.update_change)


def _change_action(request, pk, action, success):
    change = _change(request, pk)
    try:
        action(change)
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    else:
        messages.success(request, success)
    return redirect(change)


@login_required
@require_POST
def change_publish(request, pk):
    return _change_action(request, pk, lambda c: services.publish_change(c, by=request.user, now=_now()),
                          "Published: the organisation can see it, and notice is counted from now.")


@login_required
@require_POST
def change_cancel(request, pk):
    return _change_action(request, pk, lambda c: services.cancel_change(c, by=request.user, now=_now()),
                          "Cancelled.")


@login_required
@require_POST
def change_done(request, pk):
    return _change_action(request, pk, lambda c: services.complete_change(c, by=request.user, now=_now()),
                          "Marked done.")


@login_required
@require_POST
def change_reschedule(request, pk):
    form = RescheduleForm(request.POST, user=request.user)
    if not form.is_valid():
        change = _change(request, pk)
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(change)
    data = form.cleaned_data
    return _change_action(request, pk, lambda c: services.reschedule_change(
        c, start=data["start"], end=data["end"], time_zone=data["time_zone"], reason=data["reason"],
        by=request.user, now=_now()), "Rescheduled.")


@login_required
@require_POST
def change_pick(request, pk):
    start = request.POST.get("start", "")
    return _change_action(request, pk, lambda c: services.pick_window(c, start=start, by=request.user, now=_now()),
                          "Rescheduled to the proposed window.")


# --- events -------------------------------------------------------------------------------------------

@login_required
def event_list(request):
    scope = list_scope(request, "agenda.events")
    events = (_scoped_events(Event.objects.visible_to(request.user), scope).select_related("team")
              .annotate(open_conflicts=Count("conflicts", filter=Q(conflicts__status__in=Conflict.UNSETTLED)))
              .order_by("-start"))
    return _render(request, "agenda/event_list.html", {"page_obj": _page(request, events), "scope": scope})


@login_required
def event_create(request):
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.create_event(
                team=data["team"], title=data["title"], services=list(data["services"]), start=data["start"],
                end=data["end"], time_zone=data["time_zone"], criticality=data["criticality"],
                audience=data["audience"], buffer_hours=data["buffer_hours"], description=data["description"],
                confidential=data["confidential"], shared_with=list(data["shared_with"]), by=request.user,
                now=_now())
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error("team", str(exc))
            else:
                apply_errors(form, exc)
        else:
            messages.success(request, f"Event “{event.title}” saved.")
            return redirect(event)
    return _render(request, "agenda/item_form.html", {"form": form, "kind": "event",
                                                      "title": "Register an event"},
                   status=400 if form.errors else 200)


def _event(request, pk):
    return get_object_or_404(Event.objects.visible_to(request.user).select_related("team__lead"), pk=pk)


@login_required
def event_detail(request, pk):
    event = _event(request, pk)
    conflicts = (Conflict.objects.visible_to(request.user).filter(event=event)
                 .select_related("change__team").order_by("status", "-score"))
    return _render(request, "agenda/event_detail.html", {
        "event": event, "conflicts": conflicts, "can_edit": services.may_edit(request.user, event),
        "services_list": event.services.select_related("team")})


@login_required
def event_edit(request, pk):
    return _edit(request, _event(request, pk), EventEditForm, services.update_event)


@login_required
@require_POST
def event_cancel(request, pk):
    event = _event(request, pk)
    try:
        services.cancel_event(event, by=request.user, now=_now())
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Event cancelled.")
    return redirect(event)


# --- conflicts -----------------------------------------------------------------------------------------

@login_required
def conflict_list(request):
    show = request.GET.get("show", "open")
    scope = list_scope(request, "agenda.conflicts")
    conflicts = _scoped_conflicts(Conflict.objects.visible_to(request.user), scope)
    conflicts = conflicts.select_related("change__team", "event__team", "freeze")
    if show != "all":
        conflicts = conflicts.unsettled()
    return _render(request, "agenda/conflict_list.html", {"page_obj": _page(request, conflicts), "show": show,
                                                          "scope": scope})


def _conflict(request, pk):
    return get_object_or_404(Conflict.objects.visible_to(request.user).select_related(
        "change__team__lead", "event__team__lead", "freeze__team__lead", "settled_by"), pk=pk)


@login_required
def conflict_detail(request, pk):
    conflict, user = _conflict(request, pk), request.user
    service_team, customer_team = services.sides(conflict)
    return _render(request, "agenda/conflict_detail.html", {
        "conflict": conflict, "entries": conflict.entries_for_viewer(),
        "explanation": explain_conflict(conflict, zone_of(user)),
        "service_team": service_team, "customer_team": customer_team,
        "is_service": services.is_member(user, service_team),
        "is_customer": customer_team is not None and services.is_member(user, customer_team),
        "is_customer_lead": services.is_lead(user, customer_team),
        "form": TextForm(),
    })


CONFLICT_ACTIONS = {
    "ask_delay": (lambda c, u, t: services.ask_delay(c, by=u, now=_now(), text=t), "Delay asked."),
    "mitigate": (lambda c, u, t: services.mitigate(c, by=u, now=_now(), plan=t), "Resolved with a mitigation plan."),
    "accept_risk": (lambda c, u, t: services.accept_risk(c, by=u, now=_now(), text=t), "Risk accepted."),
    "withdraw": (lambda c, u, t: services.withdraw(c, by=u, now=_now(), text=t), "Withdrawn."),
    "comment": (lambda c, u, t: services.comment(c, by=u, now=_now(), text=t), "Comment added."),
}


@login_required
@require_POST
def conflict_action(request, pk, action):
    if action not in CONFLICT_ACTIONS:
        raise Http404
    conflict = _conflict(request, pk)
    form = TextForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    run, success = CONFLICT_ACTIONS[action]
    try:
        run(conflict, request.user, text)
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    else:
        messages.success(request, success)
    return redirect(conflict)


# --- freeze and maintenance windows ------------------------------------------------------------------

@login_required
def freeze_list(request):
    form = FreezeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_freeze(title=data["title"], reason=data["reason"], start=data["start"], end=data["end"],
                                   time_zone=data["time_zone"], org_wide=data["org_wide"],
                                   services=list(data["services"]), by=request.user, now=_now())
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error("services", str(exc))
            else:
                apply_errors(form, exc)
        else:
            messages.success(request, "Freeze window saved.")
            return redirect("agenda:freeze_list")
    freezes = FreezeWindow.objects.visible_to(request.user).filter(end__gt=_now()).prefetch_related("services")
    return _render(request, "agenda/freeze_list.html", {"form": form, "page_obj": _page(request, freezes)},
                   status=400 if form.errors else 200)


@login_required
@require_POST
def freeze_delete(request, pk):
    freeze = get_object_or_404(FreezeWindow.objects.visible_to(request.user), pk=pk)
    try:
        services.delete_freeze(freeze, by=request.user, now=_now())
    except PermissionDenied as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Freeze lifted.")
    return redirect("agenda:freeze_list")


@login_required
def maintenance(request, slug):
    service = get_object_or_404(Service.objects.visible_to(request.user).select_related("team"), slug=slug)
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST":
        if "remove" in request.POST:
            window = get_object_or_404(MaintenanceWindow, pk=request.POST.get("remove"), service=service)
            try:
                services.remove_maintenance_window(window, by=request.user)
                messages.success(request, "Maintenance window removed.")
            except PermissionDenied as exc:
                _fail(request, exc)
            return redirect("agenda:maintenance", slug=slug)
        if form.is_valid():
            try:
                services.add_maintenance_window(service, by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    form.add_error(None, str(exc))
                else:
                    apply_errors(form, exc)
            else:
                messages.success(request, "Maintenance window added.")
                return redirect("agenda:maintenance", slug=slug)
    return _render(request, "agenda/maintenance.html", {
        "service": service, "form": form, "windows": service.maintenance_windows.all(),
        "can_edit": services.is_member(request.user, service.team)}, status=400 if form.errors else 200)


# --- calendar ------------------------------------------------------------------------------------------------

def _parse_day(value, fallback):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return fallback


@login_required
def team_calendar(request, slug):
    team = get_object_or_404(Team.objects.visible_to(request.user), slug=slug)
    zone = services.person_zone(request.user)
    today = timezone.now().astimezone(zone).date()
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = _parse_day(request.GET.get("day"), today)
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        prev_day, next_day = first - timedelta(days=7), first + timedelta(days=7)
        label = f"Week of {first.day} {first:%B %Y}"
    else:
        month_start = anchor.replace(day=1)
        first = month_start - timedelta(days=month_start.weekday())
        days_in = pycal.monthrange(anchor.year, anchor.month)[1]
        month_end = month_start.replace(day=days_in)
        last = month_end + timedelta(days=6 - month_end.weekday())
        prev_day = (month_start - timedelta(days=1)).replace(day=1)
        next_day = month_end + timedelta(days=1)
        label = f"{month_start:%B %Y}"
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    items = services.team_calendar(team, request.user, start, end)
    days = []
    day = first
    while day <= last:
        d0 = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        d1 = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        days.append({"date": day, "today": day == today, "outside": view == "month" and day.month != anchor.month,
                     "items": [i for i in items if i["start"] < d1 and i["end"] > d0]})
        day += timedelta(days=1)
    weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
    context = {"team": team, "view": view, "weeks": weeks, "label": label, "anchor": anchor,
               "prev_day": prev_day, "next_day": next_day, "today": today, "items": items,
               "conflict_count": sum(1 for i in items if i["conflict"])}
    template = "agenda/calendar.html#calendar" if request.htmx else "agenda/calendar.html"
    response = _render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


# --- notice -----------------------------------------------------------------------------------------------

@login_required
def notice_ranking(request):
    scope = list_scope(request, "agenda.notice")
    rows = notice.notice_ranking(request.user)
    if scope.mine:  # my teams, and the service teams whose changes touch what my teams depend on
        wanted = set(scope.team_ids) | set(
            Service.objects.filter(pk__in={s for t in scope.teams for s in services.team_dependency_services(t)})
            .values_list("team_id", flat=True))
        rows = [r for r in rows if r["team__pk"] in wanted]
    return _render(request, "agenda/notice_ranking.html", {
        "rows": rows, "minimum": settings.LIAISON_MIN_CHANGE_NOTICE_DAYS, "scope": scope})


@login_required
def notice_history(request, slug):
    team = get_object_or_404(Team.objects.visible_to(request.user), slug=slug)
    history = notice.notice_history(team, request.user, _now())
    late = (Change.objects.visible_to(request.user).filter(team=team, notice_days__lt=history["minimum"])
            .order_by("-start")[:20])
    return _render(request, "agenda/notice_history.html", {"team": team, **history, "late_changes": late})


# --- feeds ------------------------------------------------------------------------------------------------------

@login_required
def feeds(request):
    user = request.user
    own = services.feed_token(by=user)
    team_tokens = [services.feed_token(by=user, team=team) for team in user.teams.order_by("name")]
    return _render(request, "agenda/feeds.html", {"own": own, "team_tokens": team_tokens,
                                                  "site_url": settings.SITE_URL})


@login_required
@require_POST
def feed_rotate(request, pk):
    token = get_object_or_404(FeedToken.objects.visible_to(request.user), pk=pk)
    services.rotate_feed_token(token, by=request.user, now=_now())
    messages.success(request, "New address made; the old one no longer works. Update your calendar apps.")
    return redirect("agenda:feeds")


@require_GET
def feed(request, key):
    """The iCalendar feed: no sign-in (calendar apps cannot), the unguessable key is the credential."""
    token = FeedToken.objects.select_related("team", "person").filter(key=key).first()
    if token is None or (token.person_id and not token.person.is_active):
        raise Http404
    now = _now()
    changes, events, freezes = services.feed_items(token, now)
    name = f"{token.team or token.person} — Liaison agenda"
    team_ids = [token.team_id] if token.team_id else list(token.person.teams.values_list("pk", flat=True))
    response = HttpResponse(ical.calendar(name, changes, events, freezes, now,
                                          extra=ical.extra_components(team_ids, now)),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="agenda.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
