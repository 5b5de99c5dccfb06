"""Incident pages. Thin: parse (forms), call a service, render in the viewer's time zone.

Every incident comes through `Incident.objects.visible_to(request.user)` and every
alliance through `Alliance.objects.visible_to(...)`: what a person may not see is a 404.
Actions are POSTs that redirect back (PRG); invite and join also answer HTMX with the
updated fragment, so a team joins with one click without a reload.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from liaison.agenda.models import Change, Conflict, Event
from liaison.agenda.services import person_zone
from liaison.core.links import links_for
from liaison.org.models import Team
from liaison.org.scope import list_scope
from liaison.requests.models import Request

from . import alliances, ical, proposals, retrospectives, services
from .forms import (
    ActionItemForm,
    AllianceForm,
    AnswerForm,
    CausesForm,
    ImpactForm,
    IncidentForm,
    ScheduleForm,
    SlipForm,
    TextForm,
    apply_errors,
)
from .models import ActionItem, Alliance, Incident, Kind, Severity, Status


def _render(request, template, context, status=200):
    zone = person_zone(request.user)
    with timezone.override(zone):
        context.setdefault("viewer_zone", zone.key)
        return render(request, template, context, status=status)


def _now():
    return timezone.now()


def _fail(request, exc):
    if isinstance(exc, PermissionDenied):
        messages.error(request, str(exc) or "You may not do this.")
    elif hasattr(exc, "error_dict"):
        messages.error(request, " ".join(f"{k.replace('_', ' ')}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                         for k, v in exc.message_dict.items()))
    else:
        messages.error(request, " ".join(exc.messages))


def _incident(request, pk):
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related(
        "opened_by", "service_team__lead", "conflict"), pk=pk)


def _my_teams(user):
    return Team.objects.filter(memberships__person=user).order_by("name")


# --- list ---------------------------------------------------------------------------------------

@login_required
def incident_list(request):
    user = request.user
    incidents = Incident.objects.visible_to(user).select_related("service_team", "retrospective")
    scope = list_scope(request, "incidents")  # my teams' incidents first; all I may see one click away
    if scope.mine:
        incidents = incidents.filter(Q(team_links__team__in=scope.team_ids) | Q(service_team__in=scope.team_ids))
        incidents = incidents.distinct()
    status, severity, team = request.GET.get("status", ""), request.GET.get("severity", ""), request.GET.get("team", "")
    if status in Status.values:
        incidents = incidents.filter(status=status)
    if severity in Severity.values:
        incidents = incidents.filter(severity=severity)
    if team:
        incidents = incidents.filter(Q(team_links__team__slug=team) | Q(service_team__slug=team)).distinct()
    q = request.GET.get("q", "").strip()
    if q:
        incidents = incidents.filter(title__icontains=q)
    page = Paginator(incidents.order_by("-opened_at", "-pk"), settings.LIAISON_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return _render(request, "incidents/list.html", {
        "page_obj": page, "statuses": Status.choices, "severities": Severity.choices,
        "teams": _my_teams(user), "f": {"status": status, "severity": severity, "team": team, "q": q},
        "filtered": any([status, severity, team, q]), "scope": scope,
    })


# --- open ----------------------------------------------------------------------------------------

def _source(request):
    """The conflict, change or request an incident is opened from (?conflict=, ?change=, ?request=)."""
    user, data = request.user, request.POST if request.method == "POST" else request.GET
    for name, qs in (("conflict", Conflict.objects), ("change", Change.objects), ("request", Request.objects)):
        value = data.get(name)
        if value:
            if not value.isdigit():
                raise Http404
            return name, get_object_or_404(qs.visible_to(user), pk=int(value))
    return None, None


@login_required
def incident_new(request):
    user = request.user
    source_name, source = _source(request)
    teams = _my_teams(user)
    initial = {}
    if source_name == "conflict":
        initial = {"title": f"{source.change.title} vs {source.event or source.freeze}", "kind": Kind.CHANGE_COLLISION,
                   "team": source.event.team_id if source.event_id else None}
    elif source_name == "change":
        initial = {"title": f"Disruption from {source.title}", "kind": Kind.CHANGE_COLLISION}
    elif source_name == "request":
        initial = {"title": f"Missed: {source.title}", "kind": Kind.MISSED_COMMITMENT,
                   "team": source.requester_team_id}
    form = IncidentForm(request.POST or None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.open_incident(by=user, now=_now(), title=data["title"], summary=data["summary"],
                                              team=data["team"], kind=data["kind"], **({source_name: source}
                                                                                       if source else {}))
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            apply_errors(form, exc)
        else:
            messages.success(request, "Incident opened. Log what happens and what it costs, in numbers.")
            return redirect(incident)
    return _render(request, "incidents/new.html", {"form": form, "source_name": source_name, "source": source,
                                                   "no_team": not teams.exists()}, status=400 if form.errors else 200)


# --- detail ----------------------------------------------------------------------------------------

def _linked(items, visible):
    """(visible items, count of hidden ones): a confidential item stays confidential."""
    items = list(items)
    ids = set(visible.filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True))
    return [i for i in items if i.pk in ids], sum(1 for i in items if i.pk not in ids)


def _detail_context(request, incident):
    user, now = request.user, _now()
    links = list(incident.team_links.select_related("team__lead"))
    involved = {link.team_id for link in links}
    mine = services.team_ids_of(user)
    retro = getattr(incident, "retrospective", None) if hasattr(incident, "retrospective") else None
    items = list(ActionItem.objects.filter(retrospective__incident=incident)
                 .select_related("owner", "request__provider_team")) if retro else []
    today = now.date()
    changes, hidden_changes = _linked(incident.changes.all(), Change.objects.visible_to(user))
    events, hidden_events = _linked(incident.events.all(), Event.objects.visible_to(user))
    requests_, hidden_requests = _linked(incident.requests.all(), Request.objects.visible_to(user))
    is_involved = bool(mine & involved)
    joinable = [t for t in _my_teams(user) if t.pk not in involved and (
        t.pk in set(incident.invites.values_list("team_id", flat=True)) or t.pk == incident.service_team_id)]
    my_involved = Team.objects.filter(pk__in=mine & involved).order_by("name")
    entries = list(incident.entries.select_related("author", "team"))
    return {
        "incident_links": links_for("incident", user, incident),
        "incident": incident, "links": links, "is_involved": is_involved, "joinable": joinable,
        "changes": changes, "hidden_changes": hidden_changes, "events": events, "hidden_events": hidden_events,
        "requests": requests_, "hidden_requests": hidden_requests, "services": list(incident.services.all()),
        "entries": entries, "totals": services.totals(incident),
        **_proposals(incident, user, is_involved),
        "retro": retro, "no_retro": retrospectives.unscheduled(retro) or (retro is None and len(links) > 1),
        "retro_overdue": retro is not None and retrospectives.unscheduled(retro) and retro.proposed_for < today,
        "items": [(item, *retrospectives.action_state(item, today)) for item in items],
        "alliances": Alliance.objects.visible_to(user).filter(incident=incident).select_related("created_by_team"),
        "impact_form": ImpactForm(teams=my_involved) if is_involved and incident.status != Status.CLOSED else None,
        "note_form": TextForm(prefix="note"), "causes_form": CausesForm(initial={
            "causes": incident.causes, "contributing_factors": incident.contributing_factors}),
        "schedule_form": ScheduleForm(initial={"duration_minutes": retro.duration_minutes if retro else 90,
                                               "location": retro.location if retro else ""}),
        "action_form": ActionItemForm(), "slip_form": SlipForm(),
        "customer_team": next((link.team for link in links if link.role == "affected" and link.team_id in mine),
                              None),
    }


PROPOSALS_SHOWN = 8


def _proposals(incident, user, is_involved):
    """The first proposals (agenda evidence first) and how many more the catalogue suggests."""
    if not is_involved or incident.status == Status.CLOSED:
        return {"proposals": [], "more_proposals": 0}
    rows = proposals.proposed_teams(incident, user)
    return {"proposals": rows[:PROPOSALS_SHOWN], "more_proposals": max(0, len(rows) - PROPOSALS_SHOWN)}


@login_required
def incident_detail(request, pk):
    incident = _incident(request, pk)
    return _render(request, "incidents/detail.html", _detail_context(request, incident))


def _back(incident, anchor=""):
    return redirect(incident.get_absolute_url() + (f"#{anchor}" if anchor else ""))


@login_required
@require_POST
def incident_action(request, pk, action):
    """impact, note, stable, close, reopen, causes: one service call each."""
    incident, user, now = _incident(request, pk), request.user, _now()
    anchor = {"impact": "impacts", "causes": "causes", "note": "timeline"}.get(action, "")
    try:
        if action == "impact":
            form = ImpactForm(request.POST, teams=_my_teams(user))
            if not form.is_valid():
                raise ValidationError({k: " ".join(v) for k, v in form.errors.items()})
            data = form.cleaned_data
            services.log_impact(incident, by=user, team=data["team"], unit=data["unit"], amount=data["amount"],
                                unit_label=data["unit_label"], what_happened=data["what_happened"], now=now)
            messages.success(request, "Impact logged.")
        elif action == "note":
            services.add_note(incident, by=user, text=request.POST.get("note-text", ""), now=now)
        elif action == "stable":
            services.mark_stable(incident, by=user, now=now, text=request.POST.get("text", ""))
            messages.success(request, "Marked stable. Causes and contributing factors can now be written.")
        elif action == "close":
            services.close(incident, by=user, now=now, text=request.POST.get("text", ""))
        elif action == "reopen":
            services.reopen(incident, by=user, now=now, reason=request.POST.get("text", ""))
        elif action == "causes":
            services.write_causes(incident, by=user, now=now, causes=request.POST.get("causes", ""),
                                  contributing_factors=request.POST.get("contributing_factors", ""))
            messages.success(request, "Causes and contributing factors saved.")
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    return _back(incident, anchor)


@login_required
@require_POST
def incident_invite(request, pk):
    """One click: invite a proposed team (by token, so 'another team' stays unnamed)."""
    incident = _incident(request, pk)
    error = ""
    try:
        team = proposals.team_from_token(f"incident:{incident.pk}", request.POST.get("token", ""))
        services.invite_team(incident, team, by=request.user, now=_now())
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(getattr(exc, "messages", [str(exc)]))
    if request.htmx:
        label = request.POST.get("label", "The team")[:200]
        return render(request, "incidents/_invited.html", {"label": label, "error": error})
    if error:
        messages.error(request, error)
    return _back(incident, "proposals")


@login_required
@require_POST
def incident_join(request, pk):
    """One click: the viewer's team joins the incident."""
    incident = _incident(request, pk)
    team = Team.objects.filter(pk=request.POST.get("team") if (request.POST.get("team") or "").isdigit() else None)\
        .first()
    try:
        if team is None:
            raise ValidationError({"team": "Choose your team."})
        services.join(incident, team, by=request.user, now=_now())
        messages.success(request, f"{team} joined. Log what it costs your team, in numbers.")
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    return _back(incident, "teams")


# --- retrospective ------------------------------------------------------------------------------

def _retro_or_404(incident):
    retro = getattr(incident, "retrospective", None) if hasattr(incident, "retrospective") else None
    if retro is None:
        raise Http404
    return retro


@login_required
@require_POST
def retro_action(request, pk, action):
    """schedule, held, action (add an action item), slip (an action item's date)."""
    incident, user, now = _incident(request, pk), request.user, _now()
    retro = _retro_or_404(incident)
    try:
        if action == "schedule":
            form = ScheduleForm(request.POST)
            with timezone.override(person_zone(user)):  # the time is typed in the viewer's zone
                valid = form.is_valid()
            if not valid:
                raise ValidationError({k: " ".join(v) for k, v in form.errors.items()})
            at = form.cleaned_data["scheduled_at"]
            retrospectives.schedule(retro, by=user, at=at, now=now,
                                    duration_minutes=form.cleaned_data["duration_minutes"],
                                    location=form.cleaned_data["location"],
                                    facilitator=form.cleaned_data["facilitator"])
            messages.success(request, "Booked. Both leads get the invitation with a calendar entry.")
        elif action == "held":
            retrospectives.record_held(retro, by=user, now=now, notes=request.POST.get("notes", ""))
        elif action == "action":
            form = ActionItemForm(request.POST)
            if not form.is_valid():
                raise ValidationError({k: " ".join(v) for k, v in form.errors.items()})
            retrospectives.add_action_item(retro, by=user, title=form.cleaned_data["title"],
                                           owner=form.cleaned_data["owner"], due=form.cleaned_data["due"], now=now)
            messages.success(request, "Action item added: the owner's team has committed to the date.")
        elif action == "slip":
            item = get_object_or_404(ActionItem.objects.select_related("request"), pk=request.POST.get("item") or 0,
                                     retrospective=retro)
            form = SlipForm(request.POST)
            if not form.is_valid():
                raise ValidationError({k: " ".join(v) for k, v in form.errors.items()})
            retrospectives.slip_action_item(item, by=user, new_date=form.cleaned_data["new_date"],
                                            reason=form.cleaned_data["reason"], now=now)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    return _back(incident, "retrospective")


@login_required
@require_GET
def retro_ics(request, pk):
    """The retrospective's calendar entry (METHOD:REQUEST), for people who want it by hand."""
    retro = _retro_or_404(_incident(request, pk))
    if retro.scheduled_at is None:
        raise Http404
    response = HttpResponse(ical.invitation(retro, _now()), content_type="text/calendar; method=REQUEST; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="retrospective.ics"'
    return response


# --- alliances -------------------------------------------------------------------------------------

def _subject(request):
    data = request.POST if request.method == "POST" else request.GET
    incident_id, conflict_id = data.get("incident", ""), data.get("conflict", "")
    if incident_id.isdigit():
        return _incident(request, int(incident_id)), None
    if conflict_id.isdigit():
        return None, get_object_or_404(Conflict.objects.visible_to(request.user).select_related(
            "change__team", "event__team"), pk=int(conflict_id))
    raise Http404


@login_required
def alliance_new(request):
    user = request.user
    incident, conflict = _subject(request)
    exclude = services.team_ids_of(user)  # everyone else affected is a candidate, incident teams included
    if incident is not None:
        customer = set(incident.team_links.filter(role="affected").values_list("team_id", flat=True))
    else:
        customer = {conflict.event.team_id} if conflict.event_id else set()
    teams = _my_teams(user).filter(pk__in=customer)
    form = AllianceForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            alliance = alliances.create_alliance(by=user, now=_now(), incident=incident, conflict=conflict,
                                                 **form.cleaned_data)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Alliance started. Invite the other teams affected.")
            return redirect(alliance)
    rows = alliances.candidates(viewer=user, now=_now(), incident=incident, conflict=conflict,
                                exclude_team_ids=exclude)
    return _render(request, "incidents/alliance_new.html", {
        "form": form, "incident": incident, "conflict": conflict, "candidates": rows, "can_start": teams.exists(),
    }, status=400 if form.errors else 200)


def _alliance(request, pk):
    return get_object_or_404(Alliance.objects.visible_to(request.user).select_related(
        "incident", "conflict__change", "service_team__lead", "created_by_team"), pk=pk)


@login_required
def alliance_detail(request, pk):
    alliance, user = _alliance(request, pk), request.user
    members = list(alliance.members.select_related("team__lead"))
    mine = services.team_ids_of(user)
    joined = {m.team_id for m in members if m.joined_at}
    is_member = bool(mine & joined)
    candidates = []
    if is_member:
        candidates = alliances.candidates(viewer=user, now=_now(), incident=alliance.incident,
                                          conflict=alliance.conflict,
                                          exclude_team_ids={m.team_id for m in members})
    return _render(request, "incidents/alliance_detail.html", {
        "alliance": alliance, "members": members, "is_member": is_member,
        "can_join": [m for m in members if m.team_id in mine and not m.joined_at],
        "can_sign": [m for m in members if m.joined_at and not m.signed_at and m.team.lead_id == user.pk],
        "is_service_lead": alliance.service_team_id and alliance.service_team.lead_id == user.pk,
        "numbers": alliances.numbers(alliance), "candidates": candidates, "answer_form": AnswerForm(),
        "signed": sum(1 for m in members if m.signed_at),
        "incident_visible": alliance.incident_id and Incident.objects.visible_to(user).filter(
            pk=alliance.incident_id).exists(),
    })


@login_required
@require_POST
def alliance_action(request, pk, action):
    """invite (HTMX), join, sign, answer."""
    alliance, user, now = _alliance(request, pk), request.user, _now()
    team_id = request.POST.get("team", "")
    team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None
    try:
        if action == "invite":
            key = alliances.subject_key(alliance.incident, alliance.conflict)
            alliances.invite(alliance, proposals.team_from_token(key, request.POST.get("token", "")), by=user,
                             now=now)
            if request.htmx:
                return render(request, "incidents/_invited.html", {"label": request.POST.get("label", "")[:200]})
        elif action in ("join", "sign"):
            if team is None:
                raise ValidationError({"team": "Choose your team."})
            getattr(alliances, action)(alliance, team, by=user, now=now)
        elif action == "answer":
            alliances.answer(alliance, by=user, text=request.POST.get("answer", ""), now=now)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        if request.htmx and action == "invite":
            return render(request, "incidents/_invited.html", {"error": " ".join(getattr(exc, "messages",
                                                                                          [str(exc)]))})
        _fail(request, exc)
    return redirect(alliance)

