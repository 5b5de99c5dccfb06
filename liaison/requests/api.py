"""Requests over HTTP: an endpoint for every step of liaison.requests.services.

Thin handlers: find the request among those the caller may see
(`Request.objects.visible_to(user)`, else 404), call the service named by the business
action with `now`, render. The services decide who may act (403) and which
transitions and values are allowed (400 naming the field, or "status" for a transition).

Costs are kept flat: creating a request is its three INSERTs (request, event,
notification) in one transaction; a list is the caller's scope, a count and one page.
The lookups every create needs are cached per process, behind named functions of
liaison.org.cache (the service catalogue, the caller's teams; the token's person in
liaison.org.services); that module says how they stay current.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as Reply

from liaison.org import cache
from liaison.org.models import Service, Team
from liaison.org.schemas import Invalid, Message, Pages, PersonRef, Slug, TeamRef, Text
from liaison.org.visibility import may_read_team
from liaison.playbook.coach import coach, draft_for

from . import services
from .models import Blocker, DateKind, Request, RequestEvent, Status

router = Router(tags=["requests"])

READ_ERRORS = {401: Message, 404: Message}
WRITE_ERRORS = {400: Invalid, 401: Message, 403: Message, 404: Message}


# --- schemas ---------------------------------------------------------------------------

class ServiceBrief(Schema):
    slug: str
    name: str


class RequestOut(Schema):
    id: int
    title: str
    status: str
    service: ServiceBrief
    provider_team: TeamRef
    requester_team: TeamRef
    requester: PersonRef
    context: str
    need_by: date
    date_kind: str
    options: str
    milestone: str
    due_date: date
    committed_date: date | None
    notice_business_days: int
    short_notice: bool
    short_notice_owned: str
    probability: int | None
    confirm_by: date | None
    open_blockers: int
    slip_count: int
    rework_count: int
    quality: int | None
    decline_reason: str
    created_at: datetime
    submitted_at: datetime | None
    acknowledged_at: datetime | None
    committed_at: datetime | None
    delivered_at: datetime | None
    accepted_at: datetime | None
    escalated_at: datetime | None


class SlipOut(Schema):
    old_date: date
    new_date: date
    reason: str
    by: PersonRef
    at: datetime


class BlockerOut(Schema):
    id: int
    description: str
    raised_by: PersonRef
    raised_at: datetime
    cleared_at: datetime | None
    resolution: str


class RequestDetail(RequestOut):
    slips: list[SlipOut]
    blockers: list[BlockerOut]
    needs_thanks: bool


class EventOut(Schema):
    id: int
    kind: str
    actor: PersonRef | None
    at: datetime
    data: dict


class RequestIn(Schema):
    service: Slug
    requester_team: Slug | None = Field(None, description="Needed when you belong to several teams.")
    title: Text(200)
    context: Text(20_000)
    need_by: date
    date_kind: DateKind
    options: Text(5_000) = ""
    milestone: Text(300) = ""
    short_notice_owned: Text(2_000) = ""


class ForecastIn(Schema):
    service: Slug
    requester_team: Slug | None = None
    title: Text(200)
    context: Text(20_000)
    need_by: date = Field(..., description="The expected need date.")
    date_kind: DateKind
    probability: int = Field(..., description="1 to 100 (%).")
    confirm_by: date
    options: Text(5_000) = ""
    milestone: Text(300) = ""


class ForecastPatch(Schema):
    need_by: date | None = None
    probability: int | None = None
    confirm_by: date | None = None
    reason: Text(2_000) = ""


class ConfirmIn(Schema):
    short_notice_owned: Text(2_000) = ""


class ReasonIn(Schema):
    reason: Text(5_000) = ""


class CommitIn(Schema):
    date: date
    note: Text(5_000) = ""


class SlipIn(Schema):
    new_date: date
    reason: Text(5_000) = ""


class TextIn(Schema):
    text: Text(20_000) = ""


class BlockerIn(Schema):
    description: Text(5_000) = ""


class ClearIn(Schema):
    resolution: Text(5_000) = ""


class WarnIn(Schema):
    deadline: date | None = Field(None, description="Default: today + the service's grace period.")
    message: Text(5_000) = ""


class EscalateIn(Schema):
    emergency_override: bool = False
    justification: Text(5_000) = ""
    message: Text(5_000) = ""


class NoteIn(Schema):
    note: Text(5_000) = ""


class AcceptIn(Schema):
    quality: int = Field(..., description="1 to 5.")
    thanks: Text(5_000) = ""
    impact: Text(5_000) = ""


class ReopenIn(Schema):
    missing: Text(5_000) = ""


class ThanksIn(Schema):
    message: Text(5_000) = ""
    impact: Text(5_000) = ""


class RequestFilters(Schema):
    role: str | None = Field(None, description="'mine' (I asked), 'requester' or 'provider' (my teams' side).")
    status: str | None = None
    open: bool = False


class InboxFilters(Schema):
    team: Slug
    bucket: str | None = Field(None, description="new, unacknowledged, due_soon, overdue or blocked")


class DemandFilters(Schema):
    team: Slug
    weeks: int = Field(12, ge=1, le=52)


class DemandRow(Schema):
    week: date
    forecast_count: int
    forecast_load: float
    confirmed_count: int


class DraftIn(Schema):
    service: Slug | None = None
    title: Text(200) = ""
    context: Text(20_000) = ""
    need_by: date | None = None
    date_kind: str = ""
    options: Text(5_000) = ""
    short_notice_owned: Text(2_000) = ""


class AdviceOut(Schema):
    code: str
    field: str
    message: str


# --- lookups -----------------------------------------------------------------------------

RELATED = ("service", "provider_team", "requester_team", "requester")


def _visible(user, pk):
    """The request if `user` may see it, with what the output shows; else 404."""
    return get_object_or_404(Request.objects.visible_to(user).select_related(*RELATED), pk=pk)


def _service(slug):
    service = cache.service_by_slug(slug)
    if service is None:
        raise ValidationError({"service": f"There is no service with slug {slug!r}."})
    return service


def _requester_team(user, slug):
    if slug is None:
        return None
    team = cache.teams_of(user.pk).get(slug)
    if team is None:
        raise ValidationError({"requester_team": "You can only ask on behalf of a team you belong to."})
    return team


def _team_in_scope(user, slug):
    """A team whose inbox `user` may read (liaison.org.visibility); else 404."""
    team = Team.objects.filter(slug=slug).first()
    if team is None or not may_read_team(user, team):
        raise Http404
    return team


def _detail(request):
    request.slips_list = list(request.slips.select_related("by"))
    request.blockers_list = list(request.blockers.select_related("raised_by"))
    return request


def _detail_out(request):
    _detail(request)
    out = RequestOut.from_orm(request).dict()
    out.update(slips=request.slips_list, blockers=request.blockers_list, needs_thanks=services.needs_thanks(request))
    return out


# --- create and list --------------------------------------------------------------------------

@router.post("/requests", response={201: RequestOut, **WRITE_ERRORS}, summary="Send a request")
def create_request(request, body: RequestIn):
    """Ask a service for something. Short notice (less than the service's lead time, in its
    business days) needs `short_notice_owned`, a sentence the provider sees."""
    user = request.auth
    service = _service(body.service)
    team = _requester_team(user, body.requester_team)
    created = services.submit_request(
        requester=user, requester_team=team, service=service, title=body.title, context=body.context,
        need_by=body.need_by, date_kind=body.date_kind, options=body.options, milestone=body.milestone,
        short_notice_owned=body.short_notice_owned, now=timezone.now())
    return Reply(201, _with_team(created, user))


@router.post("/requests/forecasts", response={201: RequestOut, **WRITE_ERRORS}, summary="Send a heads-up forecast")
def create_forecast(request, body: ForecastIn):
    """A heads-up: expected need date, probability (1-100 %) and confirm-by date."""
    user = request.auth
    service = _service(body.service)
    team = _requester_team(user, body.requester_team)
    created = services.create_forecast(
        requester=user, requester_team=team, service=service, title=body.title, context=body.context,
        need_by=body.need_by, date_kind=body.date_kind, probability=body.probability, confirm_by=body.confirm_by,
        options=body.options, milestone=body.milestone, now=timezone.now())
    return Reply(201, _with_team(created, user))


def _with_team(created, user):
    """Give the new request its requester team object from the teams already loaded (no query)."""
    for team in cache.teams_of(user.pk).values():
        if team.pk == created.requester_team_id:
            created.requester_team = team
    return created


@router.get("/requests", response={200: list[RequestOut], **READ_ERRORS}, summary="Requests I may see")
@paginate(Pages)
def list_requests(request, filters: Query[RequestFilters]):
    """Newest first. `role=mine`: those I asked; `requester`/`provider`: my teams' side."""
    user = request.auth
    qs = Request.objects.visible_to(user).select_related(*RELATED).order_by("-created_at", "-id")
    if filters.role == "mine":
        qs = qs.filter(requester=user)
    elif filters.role in ("requester", "provider"):
        qs = qs.filter(**{f"{filters.role}_team_id__in": services.team_ids_of(user)})
    elif filters.role:
        raise ValidationError({"role": "role is one of mine, requester, provider."})
    if filters.status:
        if filters.status not in Status.values:
            raise ValidationError({"status": f"Unknown status; one of {', '.join(Status.values)}."})
        qs = qs.filter(status=filters.status)
    if filters.open:
        qs = qs.filter(status__in=(Status.FORECAST, *services.OPEN_STATUSES, Status.DELIVERED))
    return qs


@router.get("/requests/inbox", response={200: list[RequestOut], **READ_ERRORS}, summary="A provider team's inbox")
@paginate(Pages)
def team_inbox(request, filters: Query[InboxFilters]):
    """Open requests to the team, soonest due first; `bucket` narrows to new, unacknowledged,
    due_soon, overdue or blocked. Members, and leads and managers above the team."""
    team = _team_in_scope(request.auth, filters.team)
    return services.team_inbox(team, now=timezone.now(), bucket=filters.bucket).select_related(*RELATED)


@router.get("/requests/forecast-demand", response={200: list[DemandRow], **READ_ERRORS},
            summary="Forecast demand by week")
def forecast_demand(request, filters: Query[DemandFilters]):
    """Per ISO week: forecasts (count, probability-weighted load) next to confirmed work."""
    team = _team_in_scope(request.auth, filters.team)
    return services.forecast_demand_by_week(team, now=timezone.now(), weeks=filters.weeks)


@router.post("/requests/coach", response={200: list[AdviceOut], 401: Message}, summary="Advice on a draft")
def coach_draft(request, body: DraftIn):
    """The request coach: advice on a draft (thin context, no date, demanding wording, ...). Never a block."""
    service = Service.objects.filter(slug=body.service).first() if body.service else None
    return [a.as_dict() for a in coach(draft_for(service, body.dict(), timezone.now()))]


# --- one request ----------------------------------------------------------------------------

@router.get("/requests/{int:pk}", response={200: RequestDetail, **READ_ERRORS}, summary="A request")
def get_request(request, pk: int):
    return _detail_out(_visible(request.auth, pk))


@router.get("/requests/{int:pk}/events", response={200: list[EventOut], **READ_ERRORS}, summary="The timeline")
def timeline(request, pk: int):
    """Every event on the request, oldest first: kind, actor, time and data."""
    found = _visible(request.auth, pk)
    return RequestEvent.objects.filter(request=found).select_related("actor").order_by("at", "id")


def _step(request, pk, func, **kwargs):
    """The shape of every step: find the visible request, call the service, show the result."""
    found = _visible(request.auth, pk)
    func(found, by=request.auth, now=timezone.now(), **kwargs)
    return _detail_out(found)


STEP = {200: RequestDetail, **WRITE_ERRORS}


@router.patch("/requests/{int:pk}/forecast", response=STEP, summary="Change a forecast")
def change_forecast(request, pk: int, body: ForecastPatch):
    return _step(request, pk, services.update_forecast, need_by=body.need_by, probability=body.probability,
                 confirm_by=body.confirm_by, reason=body.reason)


@router.post("/requests/{int:pk}/confirm", response=STEP, summary="Confirm a forecast")
def confirm(request, pk: int, body: ConfirmIn):
    return _step(request, pk, services.confirm_forecast, short_notice_owned=body.short_notice_owned)


@router.post("/requests/{int:pk}/withdraw", response=STEP, summary="Withdraw")
def withdraw(request, pk: int, body: ReasonIn):
    return _step(request, pk, services.withdraw, reason=body.reason)


@router.post("/requests/{int:pk}/acknowledge", response=STEP, summary="Acknowledge (provider)")
def acknowledge(request, pk: int):
    return _step(request, pk, services.acknowledge)


@router.post("/requests/{int:pk}/commit", response=STEP, summary="Commit to a date (provider)")
def commit(request, pk: int, body: CommitIn):
    return _step(request, pk, services.commit_to_date, date=body.date, note=body.note)


@router.post("/requests/{int:pk}/slip", response=STEP, summary="Change the commitment: a slip (provider)")
def slip(request, pk: int, body: SlipIn):
    return _step(request, pk, services.change_commitment, new_date=body.new_date, reason=body.reason)


@router.post("/requests/{int:pk}/decline", response=STEP, summary="Decline with a reason (provider)")
def decline(request, pk: int, body: ReasonIn):
    return _step(request, pk, services.decline, reason=body.reason)


@router.post("/requests/{int:pk}/progress", response=STEP, summary="Post progress (provider)")
def progress(request, pk: int, body: TextIn):
    return _step(request, pk, services.post_progress, text=body.text)


@router.post("/requests/{int:pk}/blockers", response=STEP, summary="Raise a blocker")
def raise_blocker(request, pk: int, body: BlockerIn):
    return _step(request, pk, services.raise_blocker, description=body.description)


@router.post("/requests/{int:pk}/blockers/{int:blocker_id}/clear", response=STEP, summary="Clear a blocker")
def clear_blocker(request, pk: int, blocker_id: int, body: ClearIn):
    found = _visible(request.auth, pk)
    blocker = get_object_or_404(Blocker, pk=blocker_id, request=found)
    blocker.request = found
    services.clear_blocker(blocker, by=request.auth, now=timezone.now(), resolution=body.resolution)
    return _detail_out(found)


@router.post("/requests/{int:pk}/warn", response=STEP, summary="Warn before escalating (requester)")
def warn(request, pk: int, body: WarnIn):
    return _step(request, pk, services.warn_before_escalating, deadline=body.deadline, message=body.message)


@router.post("/requests/{int:pk}/escalate", response=STEP, summary="Escalate (requester)")
def escalate(request, pk: int, body: EscalateIn):
    return _step(request, pk, services.escalate, emergency_override=body.emergency_override,
                 justification=body.justification, message=body.message)


@router.post("/requests/{int:pk}/deliver", response=STEP, summary="Deliver (provider)")
def deliver(request, pk: int, body: NoteIn):
    return _step(request, pk, services.deliver, note=body.note)


@router.post("/requests/{int:pk}/accept", response=STEP, summary="Accept with a rating (requester)")
def accept(request, pk: int, body: AcceptIn):
    return _step(request, pk, services.accept, quality=body.quality, thanks=body.thanks, impact=body.impact)


@router.post("/requests/{int:pk}/reopen", response=STEP, summary="Reopen as rework (requester)")
def reopen(request, pk: int, body: ReopenIn):
    return _step(request, pk, services.reopen, missing=body.missing)


@router.post("/requests/{int:pk}/thanks", response=STEP, summary="Say thank you (requester)")
def thank(request, pk: int, body: ThanksIn):
    return _step(request, pk, services.thank, message=body.message, impact=body.impact)


@router.post("/requests/{int:pk}/comments", response=STEP, summary="Comment (either side)")
def comment(request, pk: int, body: TextIn):
    return _step(request, pk, services.comment, text=body.text)
