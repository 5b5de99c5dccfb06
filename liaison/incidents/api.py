"""Incidents over HTTP, under /api/v1/incidents/: incidents, impacts, teams, status, causes,
the retrospective and its action items, alliances.

Thin handlers: look up what the caller may see (`visible_to(request.auth)`; anything else
is a 404), call the services, render a schema. Teams are named by slug. Business-rule
violations are a 400 naming the field, permission refusals a 403.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from liaison.agenda.models import Change, Conflict
from liaison.org.models import Person, Service, Team
from liaison.org.schemas import Invalid, Message, Pages, PersonRef, TeamRef
from liaison.requests.models import Request

from . import alliances, proposals, retrospectives, services
from .models import ActionItem, Alliance, Impact, Incident

router = Router(tags=["incidents"])

READ = {401: Message, 404: Message}
WRITE = {400: Invalid, 401: Message, 403: Message, 404: Message}


def _now():
    return timezone.now()


# --- schemas -------------------------------------------------------------------------------------

class IncidentIn(Schema):
    title: str = Field(..., max_length=200)
    summary: str = ""
    team: str | None = Field(None, description="Slug of your affected team (optional when it is obvious)")
    kind: str | None = None
    conflict_id: int | None = None
    change_id: int | None = None
    request_id: int | None = None
    services: list[str] = Field([], description="Slugs of services involved")


class IncidentTeamOut(Schema):
    team: TeamRef
    role: str
    joined_at: datetime


class IncidentOut(Schema):
    id: int
    title: str
    summary: str
    kind: str
    status: str
    severity: str
    opened_at: datetime
    opened_by: PersonRef
    stable_at: datetime | None
    closed_at: datetime | None
    service_team: TeamRef | None
    teams: list[IncidentTeamOut]
    causes: str
    contributing_factors: str
    no_retrospective_yet: bool

    @staticmethod
    def resolve_teams(obj):
        return list(obj.team_links.select_related("team"))

    @staticmethod
    def resolve_no_retrospective_yet(obj):
        retro = getattr(obj, "retrospective", None) if hasattr(obj, "retrospective") else None
        return retrospectives.unscheduled(retro)


class IncidentTotalRow(Schema):
    unit: str
    label: str
    name: str
    total: Decimal


class IncidentTeamTotals(Schema):
    team: str
    rows: list[IncidentTotalRow]
    reporters: list[str]


class IncidentTotalsOut(Schema):
    units: list[IncidentTotalRow]
    teams: list[IncidentTeamTotals]


class IncidentEntryOut(Schema):
    kind: str
    text: str
    at: datetime
    author: PersonRef | None
    team: TeamRef | None


class ImpactIn(Schema):
    team: str = Field(..., description="Slug of your team (each team logs its own impacts)")
    unit: str
    amount: Decimal
    what_happened: str
    unit_label: str = Field("", max_length=40)
    occurred_at: datetime | None = None


class ImpactOut(Schema):
    id: int
    team: TeamRef
    logged_by: PersonRef
    occurred_at: datetime
    logged_at: datetime
    what_happened: str
    unit: str
    unit_label: str
    amount: Decimal


class IncidentTextIn(Schema):
    text: str = Field("", max_length=10_000)


class IncidentReopenIn(Schema):
    reason: str = Field("", max_length=10_000)


class IncidentCausesIn(Schema):
    causes: str = Field("", max_length=20_000)
    contributing_factors: str = Field("", max_length=20_000)


class IncidentTeamIn(Schema):
    team: str | None = Field(None, description="Team slug")
    token: str | None = Field(None, description="A proposal token (for 'another team')")


class IncidentProposalOut(Schema):
    label: str
    team: TeamRef | None
    token: str
    reasons: list[str]
    invited: bool


class RetrospectiveOut(Schema):
    proposed_for: date
    scheduled_at: datetime | None
    duration_minutes: int
    location: str
    facilitator: PersonRef | None
    agenda: str
    uid: str
    sequence: int
    invited_at: datetime | None
    reminded_at: datetime | None
    held_at: datetime | None
    notes: str

    @staticmethod
    def resolve_uid(obj):
        return str(obj.uid)


class RetrospectiveScheduleIn(Schema):
    scheduled_at: datetime
    duration_minutes: int = Field(90, ge=15, le=480)
    location: str = Field("", max_length=200)
    facilitator: str | None = Field(None, description="Email of a facilitator from outside both teams")


class RetrospectiveHeldIn(Schema):
    notes: str = Field("", max_length=20_000)


class ActionItemIn(Schema):
    title: str = Field(..., max_length=200)
    owner: str = Field(..., description="The owner's email address")
    due: date
    context: str = ""


class ActionItemOut(Schema):
    id: int
    title: str
    owner: PersonRef
    request_id: int
    status: str
    due_date: date
    slips: int
    state: str

    @staticmethod
    def resolve_request_id(obj):
        return obj.request_id

    @staticmethod
    def resolve_status(obj):
        return obj.request.status

    @staticmethod
    def resolve_due_date(obj):
        return obj.request.due_date

    @staticmethod
    def resolve_slips(obj):
        return obj.request.slip_count

    @staticmethod
    def resolve_state(obj):
        return retrospectives.action_state(obj, timezone.now().date())[0]


class ActionSlipIn(Schema):
    new_date: date
    reason: str


class AllianceIn(Schema):
    team: str = Field(..., description="Slug of your affected team")
    incident_id: int | None = None
    conflict_id: int | None = None
    ask_kind: str
    ask_text: str


class AllianceMemberOut(Schema):
    team: TeamRef
    invited_at: datetime
    joined_at: datetime | None
    signed_at: datetime | None


class AllianceOut(Schema):
    id: int
    incident_id: int | None
    conflict_id: int | None
    service_team: TeamRef | None
    ask_kind: str
    ask_text: str
    created_by_team: TeamRef
    created_at: datetime
    answer: str
    answered_at: datetime | None
    members: list[AllianceMemberOut]

    @staticmethod
    def resolve_members(obj):
        return list(obj.members.select_related("team"))


class AllianceTeamIn(Schema):
    team: str | None = None
    token: str | None = None


class AllianceAnswerIn(Schema):
    answer: str = Field(..., max_length=20_000)


class AllianceCandidateOut(Schema):
    label: str
    team: TeamRef | None
    token: str
    when: str
    reasons: list[str]
    incident_ids: list[int]
    hidden_incidents: int
    totals: list[IncidentTotalRow]

    @staticmethod
    def resolve_incident_ids(obj):
        return [i.pk for i in obj["incidents"]]


# --- look-ups ---------------------------------------------------------------------------------------

def _incident(user, pk):
    return get_object_or_404(Incident.objects.visible_to(user).select_related("opened_by", "service_team"), pk=pk)


def _team(slug, field="team"):
    team = Team.objects.filter(slug=slug).first() if slug else None
    if team is None:
        raise ValidationError({field: f"No team {slug!r}." if slug else "Name a team (its slug)."})
    return team


def _person(email, field):
    person = Person.objects.filter(email=(email or "").strip().lower(), is_active=True).first()
    if person is None:
        raise ValidationError({field: f"No one with the address {email!r}."})
    return person


def _visible(queryset, user, pk, field):
    if pk is None:
        return None
    obj = queryset.visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: f"No {field.removesuffix('_id')} #{pk} that you may see."})
    return obj


def _retro(incident):
    retro = getattr(incident, "retrospective", None) if hasattr(incident, "retrospective") else None
    if retro is None:
        raise ValidationError({"retrospective": "This incident has no retrospective yet: it touches one team only."})
    return retro


def _alliance(user, pk):
    return get_object_or_404(Alliance.objects.visible_to(user).select_related("service_team", "created_by_team"),
                             pk=pk)


# --- incidents --------------------------------------------------------------------------------------

class IncidentFilters(Schema):
    status: str | None = None
    severity: str | None = None
    kind: str | None = None
    team: str | None = Field(None, description="Team slug: incidents it is involved in")


@router.get("/incidents", response={200: list[IncidentOut], **READ}, summary="List incidents you may see")
@paginate(Pages)
def list_incidents(request, filters: Query[IncidentFilters]):
    incidents = Incident.objects.visible_to(request.auth).select_related("opened_by", "service_team",
                                                                          "retrospective")
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    if filters.severity:
        incidents = incidents.filter(severity=filters.severity)
    if filters.kind:
        incidents = incidents.filter(kind=filters.kind)
    if filters.team:
        incidents = incidents.filter(team_links__team__slug=filters.team)
    return incidents.order_by("-opened_at", "-pk")


@router.post("/incidents", response={201: IncidentOut, **WRITE}, summary="Open an incident")
def open_incident(request, payload: IncidentIn):
    """As someone in an affected team; from a conflict, a change, a request, or on its own."""
    user = request.auth
    services_ = []
    for slug in payload.services:
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            raise ValidationError({"services": f"No service {slug!r}."})
        services_.append(service)
    incident = services.open_incident(
        by=user, now=_now(), title=payload.title, summary=payload.summary,
        team=_team(payload.team) if payload.team else None, kind=payload.kind,
        conflict=_visible(Conflict.objects, user, payload.conflict_id, "conflict_id"),
        change=_visible(Change.objects, user, payload.change_id, "change_id"),
        request=_visible(Request.objects, user, payload.request_id, "request_id"), services=services_)
    return Status(201, _incident(user, incident.pk))


@router.get("/incidents/{int:incident_id}", response={200: IncidentOut, **READ}, summary="An incident")
def get_incident(request, incident_id: int):
    return _incident(request.auth, incident_id)


@router.get("/incidents/{int:incident_id}/timeline", response={200: list[IncidentEntryOut], **READ},
            summary="An incident's timeline (append-only)")
def timeline(request, incident_id: int):
    return list(_incident(request.auth, incident_id).entries.select_related("author", "team"))


@router.get("/incidents/{int:incident_id}/totals", response={200: IncidentTotalsOut, **READ},
            summary="Impact totals per unit and per team, with who reported them")
def totals(request, incident_id: int):
    return services.totals(_incident(request.auth, incident_id))


@router.get("/incidents/{int:incident_id}/impacts", response={200: list[ImpactOut], **READ},
            summary="The impacts logged")
@paginate(Pages)
def list_impacts(request, incident_id: int):
    return Impact.objects.filter(incident=_incident(request.auth, incident_id)).select_related("team", "logged_by")


@router.post("/incidents/{int:incident_id}/impacts", response={201: ImpactOut, **WRITE}, summary="Log an impact")
def log_impact(request, incident_id: int, payload: ImpactIn):
    incident = _incident(request.auth, incident_id)
    impact = services.log_impact(incident, by=request.auth, team=_team(payload.team), unit=payload.unit,
                                 amount=payload.amount, what_happened=payload.what_happened, now=_now(),
                                 occurred_at=payload.occurred_at, unit_label=payload.unit_label)
    return Status(201, impact)


@router.post("/incidents/{int:incident_id}/notes", response={201: IncidentEntryOut, **WRITE},
             summary="Add a note to the timeline")
def add_note(request, incident_id: int, payload: IncidentTextIn):
    incident = _incident(request.auth, incident_id)
    return Status(201, services.add_note(incident, by=request.auth, text=payload.text, now=_now()))


@router.get("/incidents/{int:incident_id}/proposed-teams", response={200: list[IncidentProposalOut], **READ},
            summary="Teams probably affected (dependency graph and agenda)")
def proposed_teams(request, incident_id: int):
    return proposals.proposed_teams(_incident(request.auth, incident_id), request.auth)


def _team_or_token(incident_key, payload):
    if payload.token:
        return proposals.team_from_token(incident_key, payload.token)
    return _team(payload.team)


@router.post("/incidents/{int:incident_id}/invite", response={200: Message, **WRITE}, summary="Invite a team")
def invite_team(request, incident_id: int, payload: IncidentTeamIn):
    incident = _incident(request.auth, incident_id)
    team = _team_or_token(f"incident:{incident.pk}", payload)
    services.invite_team(incident, team, by=request.auth, now=_now())
    return {"detail": "Invited." if not payload.token else "Invited (another team)."}


@router.post("/incidents/{int:incident_id}/join", response={200: IncidentOut, **WRITE}, summary="Join with your team")
def join(request, incident_id: int, payload: IncidentTeamIn):
    incident = _incident(request.auth, incident_id)
    services.join(incident, _team(payload.team), by=request.auth, now=_now())
    return _incident(request.auth, incident_id)


@router.post("/incidents/{int:incident_id}/stable", response={200: IncidentOut, **WRITE}, summary="Mark stable")
def mark_stable(request, incident_id: int, payload: IncidentTextIn):
    services.mark_stable(_incident(request.auth, incident_id), by=request.auth, now=_now(), text=payload.text)
    return _incident(request.auth, incident_id)


@router.post("/incidents/{int:incident_id}/close", response={200: IncidentOut, **WRITE}, summary="Close")
def close(request, incident_id: int, payload: IncidentTextIn):
    services.close(_incident(request.auth, incident_id), by=request.auth, now=_now(), text=payload.text)
    return _incident(request.auth, incident_id)


@router.post("/incidents/{int:incident_id}/reopen", response={200: IncidentOut, **WRITE}, summary="Reopen")
def reopen(request, incident_id: int, payload: IncidentReopenIn):
    services.reopen(_incident(request.auth, incident_id), by=request.auth, now=_now(), reason=payload.reason)
    return _incident(request.auth, incident_id)


@router.put("/incidents/{int:incident_id}/causes", response={200: IncidentOut, **WRITE},
            summary="Causes and contributing factors (once stable; no names)")
def write_causes(request, incident_id: int, payload: IncidentCausesIn):
    services.write_causes(_incident(request.auth, incident_id), by=request.auth, now=_now(), causes=payload.causes,
                          contributing_factors=payload.contributing_factors)
    return _incident(request.auth, incident_id)


# --- retrospective ---------------------------------------------------------------------------------

@router.get("/incidents/{int:incident_id}/retrospective", response={200: RetrospectiveOut, **WRITE},
            summary="The retrospective (proposed, booked, held)")
def get_retrospective(request, incident_id: int):
    return _retro(_incident(request.auth, incident_id))


@router.post("/incidents/{int:incident_id}/retrospective/schedule", response={200: RetrospectiveOut, **WRITE},
             summary="Book the retrospective (invites both leads with a calendar entry)")
def schedule(request, incident_id: int, payload: RetrospectiveScheduleIn):
    retro = _retro(_incident(request.auth, incident_id))
    facilitator = _person(payload.facilitator, "facilitator") if payload.facilitator else None
    return retrospectives.schedule(retro, by=request.auth, at=payload.scheduled_at, now=_now(),
                                   duration_minutes=payload.duration_minutes, location=payload.location,
                                   facilitator=facilitator)


@router.post("/incidents/{int:incident_id}/retrospective/held", response={200: RetrospectiveOut, **WRITE},
             summary="Record that the retrospective was held")
def held(request, incident_id: int, payload: RetrospectiveHeldIn):
    retro = _retro(_incident(request.auth, incident_id))
    return retrospectives.record_held(retro, by=request.auth, now=_now(), notes=payload.notes)


@router.get("/incidents/{int:incident_id}/action-items", response={200: list[ActionItemOut], **READ},
            summary="The retrospective's action items (commitments)")
def action_items(request, incident_id: int):
    incident = _incident(request.auth, incident_id)
    return list(ActionItem.objects.filter(retrospective__incident=incident).select_related("owner", "request"))


@router.post("/incidents/{int:incident_id}/action-items", response={201: ActionItemOut, **WRITE},
             summary="Add an action item: a request committed by its owner")
def add_action_item(request, incident_id: int, payload: ActionItemIn):
    retro = _retro(_incident(request.auth, incident_id))
    item = retrospectives.add_action_item(retro, by=request.auth, title=payload.title,
                                          owner=_person(payload.owner, "owner"), due=payload.due, now=_now(),
                                          context=payload.context)
    return Status(201, ActionItem.objects.select_related("owner", "request").get(pk=item.pk))


@router.post("/incidents/action-items/{int:item_id}/slip", response={200: ActionItemOut, **WRITE},
             summary="Move an action item's date (a slip, with its reason)")
def slip(request, item_id: int, payload: ActionSlipIn):
    item = get_object_or_404(ActionItem.objects.filter(
        retrospective__incident__in=Incident.objects.visible_to(request.auth)).select_related("request", "owner"),
        pk=item_id)
    retrospectives.slip_action_item(item, by=request.auth, new_date=payload.new_date, reason=payload.reason,
                                    now=_now())
    return ActionItem.objects.select_related("owner", "request").get(pk=item.pk)


# --- alliances ---------------------------------------------------------------------------------------

@router.get("/incidents/{int:incident_id}/alliance-candidates", response={200: list[AllianceCandidateOut], **READ},
            summary="Other customer teams affected now and before, with their impacts")
def incident_candidates(request, incident_id: int):
    incident = _incident(request.auth, incident_id)
    return alliances.candidates(viewer=request.auth, now=_now(), incident=incident,
                                exclude_team_ids=services.team_ids_of(request.auth))


@router.get("/incidents/conflicts/{int:conflict_id}/alliance-candidates",
            response={200: list[AllianceCandidateOut], **READ}, summary="Alliance candidates for a conflict")
def conflict_candidates(request, conflict_id: int):
    conflict = get_object_or_404(Conflict.objects.visible_to(request.auth), pk=conflict_id)
    exclude = {conflict.event.team_id} if conflict.event_id else set()
    return alliances.candidates(viewer=request.auth, now=_now(), conflict=conflict, exclude_team_ids=exclude)


@router.get("/incidents/alliances", response={200: list[AllianceOut], **READ}, summary="Alliances you may see")
@paginate(Pages)
def list_alliances(request):
    return Alliance.objects.visible_to(request.auth).select_related("service_team", "created_by_team")


@router.post("/incidents/alliances", response={201: AllianceOut, **WRITE}, summary="Start an alliance")
def create_alliance(request, payload: AllianceIn):
    user = request.auth
    incident = _incident(user, payload.incident_id) if payload.incident_id else None
    conflict = get_object_or_404(Conflict.objects.visible_to(user), pk=payload.conflict_id) \
        if payload.conflict_id else None
    alliance = alliances.create_alliance(by=user, team=_team(payload.team), now=_now(), ask_kind=payload.ask_kind,
                                         ask_text=payload.ask_text, incident=incident, conflict=conflict)
    return Status(201, _alliance(user, alliance.pk))


@router.get("/incidents/alliances/{int:alliance_id}", response={200: AllianceOut, **READ}, summary="An alliance")
def get_alliance(request, alliance_id: int):
    return _alliance(request.auth, alliance_id)


@router.get("/incidents/alliances/{int:alliance_id}/numbers", response={200: IncidentTotalsOut, **READ},
            summary="The allied teams' numbers (their own impacts)")
def alliance_numbers(request, alliance_id: int):
    return alliances.numbers(_alliance(request.auth, alliance_id))


@router.post("/incidents/alliances/{int:alliance_id}/invite", response={200: AllianceOut, **WRITE},
             summary="Invite a team into the alliance")
def alliance_invite(request, alliance_id: int, payload: AllianceTeamIn):
    alliance = _alliance(request.auth, alliance_id)
    key = alliances.subject_key(alliance.incident, alliance.conflict)
    team = proposals.team_from_token(key, payload.token) if payload.token else _team(payload.team)
    alliances.invite(alliance, team, by=request.auth, now=_now())
    return _alliance(request.auth, alliance_id)


@router.post("/incidents/alliances/{int:alliance_id}/join", response={200: AllianceOut, **WRITE},
             summary="Join the alliance with your team")
def alliance_join(request, alliance_id: int, payload: AllianceTeamIn):
    alliance = _alliance(request.auth, alliance_id)
    alliances.join(alliance, _team(payload.team), by=request.auth, now=_now())
    return _alliance(request.auth, alliance_id)


@router.post("/incidents/alliances/{int:alliance_id}/sign", response={200: AllianceOut, **WRITE},
             summary="Co-sign the ask for your team (its lead)")
def alliance_sign(request, alliance_id: int, payload: AllianceTeamIn):
    alliance = _alliance(request.auth, alliance_id)
    alliances.sign(alliance, _team(payload.team), by=request.auth, now=_now())
    return _alliance(request.auth, alliance_id)


@router.post("/incidents/alliances/{int:alliance_id}/answer", response={200: AllianceOut, **WRITE},
             summary="Answer the alliance (the service team's lead)")
def alliance_answer(request, alliance_id: int, payload: AllianceAnswerIn):
    alliance = _alliance(request.auth, alliance_id)
    alliances.answer(alliance, by=request.auth, text=payload.answer, now=_now())
    return _alliance(request.auth, alliance_id)
