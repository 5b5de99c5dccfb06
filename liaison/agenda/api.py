
"""The agenda over HTTP, under /api/v1/agenda/: changes, events, conflicts, freezes,
maintenance windows, calendars, notice, feeds.

Thin handlers: look up what the caller may see (`visible_to(request.auth)`; anything else
is a 404), call liaison.agenda.services, render a schema. Services and teams are named
by slug; times are ISO 8601 (a time without offset is read in `time_zone`). Business
rule violations are a 400 naming the field, permission refusals a 403.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from liaison.org.models import Service, Team
from liaison.org.schemas import ClockTime, Invalid, Message, Name, Pages, PersonRef, ServiceRef, Slug, TeamRef, Text

from . import notice, scheduling, services
from .models import Change, Conflict, Event, FeedToken, FreezeWindow, MaintenanceWindow

router = Router(tags=["agenda"])

READ = {401: Message, 404: Message}
WRITE = {400: Invalid, 401: Message, 403: Message, 404: Message}


# --- schemas ------------------------------------------------------------------------------------

# Input: every text refuses NUL characters and has a bound; a field that may be left out of a
# PATCH is typed `X = None`, so leaving it out keeps the value but an explicit JSON null is a
# 422 naming the field (it was a 500: the columns are NOT NULL). Only `time_zone` of a
# reschedule may be null (= keep the change's own).
Zone = Text(64)


class Window(Schema):
    start: datetime
    end: datetime
    time_zone: Zone = "UTC"


class ChangeIn(Window):
    team: Slug = Field(..., description="Slug of the owning service team")
    title: Name
    services: list[Slug] = Field(..., description="Slugs of the services affected")
    description: Text(20_000) = ""
    risk: Text(20) = "medium"
    rollback_plan: Text(20_000) = ""
    confidential: bool = False
    shared_with: list[Slug] = []
    publish: bool = False


class ChangePatch(Schema):
    title: Name = None
    description: Text(20_000) = None
    risk: Text(20) = None
    rollback_plan: Text(20_000) = None
    services: list[Slug] = None
    confidential: bool = None
    shared_with: list[Slug] = None


class RescheduleIn(Window):
    time_zone: Zone | None = None
    reason: Text(5_000) = ""


class PickIn(Schema):
    start: datetime


class ChangeOut(Schema):
    id: int
    uid: str
    title: str
    description: str
    team: TeamRef
    services: list[ServiceRef]
    start: datetime
    end: datetime
    time_zone: str
    risk: str
    rollback_plan: str
    status: str
    sequence: int
    confidential: bool
    announced_at: datetime | None
    notice_days: int | None
    late_notice: bool
    open_conflicts: int = 0

    @staticmethod
    def resolve_uid(obj):
        return str(obj.uid)

    @staticmethod
    def resolve_services(obj):
        return list(obj.services.all())

    @staticmethod
    def resolve_open_conflicts(obj):
        return sum(1 for c in obj.conflicts.all() if c.is_unsettled)


class EventIn(Window):
    team: Slug
    title: Name
    services: list[Slug]
    description: Text(20_000) = ""
    criticality: Text(20) = "medium"
    audience: Text(200) = ""
    buffer_hours: int = Field(0, ge=0, le=720)
    confidential: bool = False
    shared_with: list[Slug] = []


class EventPatch(Schema):
    title: Name = None
    description: Text(20_000) = None
    criticality: Text(20) = None
    audience: Text(200) = None
    buffer_hours: int = Field(None, ge=0, le=720)
    services: list[Slug] = None
    start: datetime = None
    end: datetime = None
    time_zone: Zone = None
    confidential: bool = None
    shared_with: list[Slug] = None


class CustomerEventOut(Schema):
    id: int
    uid: str
    title: str
    description: str
    team: TeamRef
    services: list[ServiceRef]
    start: datetime
    end: datetime
    guard_start: datetime
    time_zone: str
    criticality: str
    audience: str
    buffer_hours: int
    status: str
    sequence: int
    confidential: bool

    @staticmethod
    def resolve_uid(obj):
        return str(obj.uid)

    @staticmethod
    def resolve_services(obj):
        return list(obj.services.all())


class EntryOut(Schema):
    kind: str
    text: str
    at: datetime
    author: PersonRef | None


class ConflictOut(Schema):
    id: int
    kind: str
    change_id: int
    change_title: str
    event_id: int | None
    freeze_id: int | None
    against: str
    status: str
    resolution: str
    severity: str
    score: int
    path: list[str]
    reason: str
    overlap_start: datetime
    overlap_end: datetime
    detected_at: datetime
    mitigation_plan: str

    hidden_start: datetime | None = Field(None, description="When the side you may not see starts (if any)")
    hidden_end: datetime | None = None

    @staticmethod
    def resolve_change_title(obj):
        return obj.change_label  # "a confidential item of another team" when you may not see it

    @staticmethod
    def resolve_against(obj):
        return obj.against_label

    @staticmethod
    def resolve_reason(obj):
        return obj.shown_reason

    @staticmethod
    def resolve_hidden_start(obj):
        return obj.hidden_side.start if obj.hidden_side else None

    @staticmethod
    def resolve_hidden_end(obj):
        return obj.hidden_side.end if obj.hidden_side else None


class ConflictDetail(ConflictOut):
    entries: list[EntryOut]

    @staticmethod
    def resolve_entries(obj):
        return obj.entries_for_viewer()


class ConflictNoteIn(Schema):
    text: Text(10_000) = ""


class FreezeIn(Window):
    title: Name
    reason: Text(5_000) = ""
    org_wide: bool = False
    services: list[Slug] = []


class FreezeOut(Schema):
    id: int
    uid: str
    title: str
    reason: str
    org_wide: bool
    services: list[ServiceRef]
    start: datetime
    end: datetime

    @staticmethod
    def resolve_uid(obj):
        return str(obj.uid)

    @staticmethod
    def resolve_services(obj):
        return list(obj.services.all())


class MaintenanceIn(Schema):
    weekday: int = Field(..., ge=1, le=7, description="1 = Monday … 7 = Sunday")
    start_time: ClockTime = Field(..., description="Wall-clock time in the window's time zone, e.g. 22:00")
    end_time: ClockTime = Field(..., description="Wall-clock time, after start_time (same day)")
    time_zone: Zone | None = None


class MaintenanceOut(Schema):
    id: int
    weekday: int
    start_time: str
    end_time: str
    time_zone: str

    @staticmethod
    def resolve_start_time(obj):
        return obj.start_time.strftime("%H:%M")

    @staticmethod
    def resolve_end_time(obj):
        return obj.end_time.strftime("%H:%M")


class ProposalOut(Schema):
    start: datetime
    end: datetime
    shift_hours: float


class AffectedOut(Schema):
    team: TeamRef
    events: list[CustomerEventOut]
    services: list[ServiceRef]


class CalendarItemOut(Schema):
    kind: str
    id: int
    title: str
    start: datetime
    end: datetime
    own: bool
    conflict: bool
    team: str | None


class NoticeRow(Schema):
    team: TeamRef
    changes: int
    average: float | None
    late: int
    late_share: int


class NoticeHistoryOut(Schema):
    team: TeamRef
    minimum: int
    total: int
    late: int
    average: float | None
    distribution: dict[str, int]
    trend: list[dict]


class FeedOut(Schema):
    id: int
    owner: str
    url: str
    rotated_at: datetime | None


# --- helpers --------------------------------------------------------------------------------------

def _now():
    return timezone.now()


def _team(slug, field="team"):
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({field: f"No team with slug {slug!r}."})
    return team


def _changes(user):
    return (Change.objects.visible_to(user).select_related("team")
            .prefetch_related("services__team", "conflicts"))


def _change(user, pk):
    return get_object_or_404(_changes(user), pk=pk)


def _events(user):
    return Event.objects.visible_to(user).select_related("team").prefetch_related("services__team")


def _event(user, pk):
    return get_object_or_404(_events(user), pk=pk)


def _conflicts(user):
    return Conflict.objects.visible_to(user).select_related("change", "event", "freeze")


def _conflict(user, pk):
    return get_object_or_404(_conflicts(user).select_related("change__team", "event__team", "freeze__team"), pk=pk)


# --- changes -----------------------------------------------------------------------------------------

class ChangeFilters(Schema):
    status: str | None = None
    team: str | None = None


@router.get("/agenda/changes", response={200: list[ChangeOut], **READ}, summary="List planned changes")
@paginate(Pages)
def list_changes(request, filters: Query[ChangeFilters]):
    changes = _changes(request.auth).order_by("-start")
    if filters.status:
        changes = changes.filter(status=filters.status)
    if filters.team:
        changes = changes.filter(team__slug=filters.team)
    return changes


@router.post("/agenda/changes", response={201: ChangeOut, **WRITE}, summary="Plan a change")
def create_change(request, payload: ChangeIn):
    """Checked at once against every event, freeze and dependency; both leads hear of any conflict."""
    data = payload.model_dump()
    change = services.create_change(team=_team(data.pop("team")), by=request.auth, now=_now(), **data)
    return Status(201, _change(request.auth, change.pk))


@router.get("/agenda/changes/{change_id}", response={200: ChangeOut, **READ}, summary="A planned change")
def get_change(request, change_id: int):
    return _change(request.auth, change_id)


@router.patch("/agenda/changes/{change_id}", response={200: ChangeOut, **WRITE}, summary="Edit a change")
def update_change(request, change_id: int, payload: ChangePatch):
    """What the change is; to move its window use /reschedule."""
    change = _change(request.auth, change_id)
    services.update_change(change, by=request.auth, now=_now(), **payload.model_dump(exclude_unset=True))
    return _change(request.auth, change_id)


@router.post("/agenda/changes/{change_id}/publish", response={200: ChangeOut, **WRITE}, summary="Publish")
def publish_change(request, change_id: int):
    services.publish_change(_change(request.auth, change_id), by=request.auth, now=_now())
    return _change(request.auth, change_id)


@router.post("/agenda/changes/{change_id}/reschedule", response={200: ChangeOut, **WRITE}, summary="Reschedule")
def reschedule_change(request, change_id: int, payload: RescheduleIn):
    services.reschedule_change(_change(request.auth, change_id), by=request.auth, now=_now(),
                               **payload.model_dump())
    return _change(request.auth, change_id)


@router.post("/agenda/changes/{change_id}/cancel", response={200: ChangeOut, **WRITE}, summary="Cancel")
def cancel_change(request, change_id: int):
    services.cancel_change(_change(request.auth, change_id), by=request.auth, now=_now())
    return _change(request.auth, change_id)


@router.post("/agenda/changes/{change_id}/done", response={200: ChangeOut, **WRITE}, summary="Mark done")
def complete_change(request, change_id: int):
    services.complete_change(_change(request.auth, change_id), by=request.auth, now=_now())
    return _change(request.auth, change_id)


@router.get("/agenda/changes/{change_id}/conflicts", response={200: list[ConflictOut], **READ},
            summary="Conflicts of a change")
def change_conflicts(request, change_id: int):
    return list(_conflicts(request.auth).filter(change=_change(request.auth, change_id)))


@router.get("/agenda/changes/{change_id}/affected-customers", response={200: list[AffectedOut], **READ},
            summary="Teams whose events or services depend on what the change touches")
def affected_customers(request, change_id: int):
    rows = services.affected_customers(_change(request.auth, change_id), request.auth, _now())
    return [{"team": team, "events": events, "services": svcs} for team, events, svcs in rows]


@router.get("/agenda/changes/{change_id}/proposals", response={200: list[ProposalOut], **READ},
            summary="The scheduling assistant's nearest free windows")
def proposals(request, change_id: int):
    change = _change(request.auth, change_id)
    return [{"start": p["start"], "end": p["end"], "shift_hours": p["shift"].total_seconds() / 3600}
            for p in scheduling.propose_windows(change, _now())]


@router.post("/agenda/changes/{change_id}/pick", response={200: ChangeOut, **WRITE},
             summary="Move the change to a proposed window (same length)")
def pick(request, change_id: int, payload: PickIn):
    services.pick_window(_change(request.auth, change_id), start=payload.start, by=request.auth, now=_now())
    return _change(request.auth, change_id)


# --- events ---------------------------------------------------------------------------------------------

@router.get("/agenda/events", response={200: list[CustomerEventOut], **READ}, summary="List customer events")
@paginate(Pages)
def list_events(request, team: str | None = None):
    events = _events(request.auth).order_by("-start")
    return events.filter(team__slug=team) if team else events


@router.post("/agenda/events", response={201: CustomerEventOut, **WRITE}, summary="Register an event")
def create_event(request, payload: EventIn):
    data = payload.model_dump()
    event = services.create_event(team=_team(data.pop("team")), by=request.auth, now=_now(), **data)
    return Status(201, _event(request.auth, event.pk))


@router.get("/agenda/events/{event_id}", response={200: CustomerEventOut, **READ}, summary="A customer event")
def get_event(request, event_id: int):
    return _event(request.auth, event_id)


@router.patch("/agenda/events/{event_id}", response={200: CustomerEventOut, **WRITE}, summary="Edit an event")
def update_event(request, event_id: int, payload: EventPatch):
    services.update_event(_event(request.auth, event_id), by=request.auth, now=_now(),
                          **payload.model_dump(exclude_unset=True))
    return _event(request.auth, event_id)


@router.post("/agenda/events/{event_id}/cancel", response={200: CustomerEventOut, **WRITE}, summary="Cancel an event")
def cancel_event(request, event_id: int):
    services.cancel_event(_event(request.auth, event_id), by=request.auth, now=_now())
    return _event(request.auth, event_id)


@router.get("/agenda/events/{event_id}/conflicts", response={200: list[ConflictOut], **READ},
            summary="Conflicts of an event")
def event_conflicts(request, event_id: int):
    return list(_conflicts(request.auth).filter(event=_event(request.auth, event_id)))


# --- conflicts -------------------------------------------------------------------------------------------

@router.get("/agenda/conflicts", response={200: list[ConflictOut], **READ}, summary="List conflicts")
@paginate(Pages)
def list_conflicts(request, status: str | None = None):
    conflicts = _conflicts(request.auth)
    return conflicts.filter(status=status) if status else conflicts


@router.get("/agenda/conflicts/{conflict_id}", response={200: ConflictDetail, **READ}, summary="A conflict")
def get_conflict(request, conflict_id: int):
    return _conflict(request.auth, conflict_id)


ACTIONS = {
    "ask-delay": lambda c, u, t: services.ask_delay(c, by=u, now=_now(), text=t),
    "mitigate": lambda c, u, t: services.mitigate(c, by=u, now=_now(), plan=t),
    "accept-risk": lambda c, u, t: services.accept_risk(c, by=u, now=_now(), text=t),
    "withdraw": lambda c, u, t: services.withdraw(c, by=u, now=_now(), text=t),
    "comments": lambda c, u, t: services.comment(c, by=u, now=_now(), text=t),
}


@router.post("/agenda/conflicts/{conflict_id}/{action}", response={200: ConflictDetail, **WRITE},
             summary="Act on a conflict: ask-delay, mitigate (text = the plan), accept-risk, withdraw, comments")
def act_on_conflict(request, conflict_id: int, action: str, payload: ConflictNoteIn):
    if action not in ACTIONS:
        from django.http import Http404

        raise Http404
    conflict = _conflict(request.auth, conflict_id)
    ACTIONS[action](conflict, request.auth, payload.text)
    return _conflict(request.auth, conflict_id)


# --- freeze and maintenance windows -------------------------------------------------------------------

@router.get("/agenda/freezes", response={200: list[FreezeOut], **READ}, summary="List freeze windows")
@paginate(Pages)
def list_freezes(request):
    return FreezeWindow.objects.visible_to(request.auth).prefetch_related("services__team")


@router.post("/agenda/freezes", response={201: FreezeOut, **WRITE}, summary="Add a freeze window")
def create_freeze(request, payload: FreezeIn):
    freeze = services.create_freeze(by=request.auth, now=_now(), **payload.model_dump())
    return Status(201, freeze)


@router.delete("/agenda/freezes/{freeze_id}", response={204: None, **WRITE}, summary="Lift a freeze window")
def delete_freeze(request, freeze_id: int):
    freeze = get_object_or_404(FreezeWindow.objects.visible_to(request.auth), pk=freeze_id)
    services.delete_freeze(freeze, by=request.auth, now=_now())
    return Status(204, None)


@router.get("/agenda/services/{slug}/maintenance-windows", response={200: list[MaintenanceOut], **READ},
            summary="A service's weekly maintenance windows")
def list_maintenance(request, slug: str):
    service = get_object_or_404(Service.objects.visible_to(request.auth), slug=slug)
    return list(MaintenanceWindow.objects.visible_to(request.auth).filter(service=service))


@router.post("/agenda/services/{slug}/maintenance-windows", response={201: MaintenanceOut, **WRITE},
             summary="Add a weekly maintenance window")
def add_maintenance(request, slug: str, payload: MaintenanceIn):
    service = get_object_or_404(Service.objects.visible_to(request.auth).select_related("team"), slug=slug)
    window = services.add_maintenance_window(
        service, weekday=payload.weekday, start_time=payload.start_time,
        end_time=payload.end_time, time_zone=payload.time_zone, by=request.auth)
    return Status(201, window)


# --- calendars, notice, feeds -----------------------------------------------------------------------------

@router.get("/agenda/teams/{slug}/calendar", response={200: list[CalendarItemOut], **READ},
            summary="A team's calendar between start and end")
def team_calendar(request, slug: str, start: datetime, end: datetime):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    services.validate_window(start, end)
    items = services.team_calendar(team, request.auth, start, end)
    return [{"kind": i["kind"], "id": i["obj"].pk, "title": i["obj"].title, "start": i["start"], "end": i["end"],
             "own": i["own"], "conflict": i["conflict"],
             "team": i["obj"].team.name if getattr(i["obj"], "team_id", None) else None} for i in items]


@router.get("/agenda/notice", response={200: list[NoticeRow], **READ}, summary="Service teams ranked by notice")
def notice_ranking(request):
    return [{"team": {"slug": r["team__slug"], "name": r["team__name"]}, **{k: r[k] for k in (
        "changes", "average", "late", "late_share")}} for r in notice.notice_ranking(request.auth)]


@router.get("/agenda/notice/{slug}", response={200: NoticeHistoryOut, **READ}, summary="A team's notice history")
def notice_history(request, slug: str):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    h = notice.notice_history(team, request.auth, _now())
    return {"team": team, "minimum": h["minimum"], "total": h["summary"]["total"], "late": h["summary"]["late"],
            "average": h["summary"]["average"], "distribution": {label: n for label, n, _w in h["distribution"]},
            "trend": [{"month": row["month"].date().isoformat() if hasattr(row["month"], "date") else str(row["month"]),
                       "count": row["count"], "average": row["average"], "late": row["late"]} for row in h["trend"]]}


def _feed_out(token):
    from django.conf import settings

    return {"id": token.pk, "owner": str(token.team or token.person), "rotated_at": token.rotated_at,
            "url": f"{settings.SITE_URL}{token.get_absolute_url()}"}


@router.get("/agenda/feeds", response={200: list[FeedOut], **READ}, summary="Your calendar feed addresses")
def list_feeds(request):
    user = request.auth
    tokens = [services.feed_token(by=user)] + [services.feed_token(by=user, team=t) for t in user.teams.all()]
    return [_feed_out(t) for t in tokens]


@router.post("/agenda/feeds/{feed_id}/rotate", response={200: FeedOut, **WRITE}, summary="Make a new feed address")
def rotate_feed(request, feed_id: int):
    token = get_object_or_404(FeedToken.objects.visible_to(request.auth), pk=feed_id)
    return _feed_out(services.rotate_feed_token(token, by=request.auth, now=_now()))


