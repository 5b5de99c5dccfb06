"""The network over HTTP, under /api/v1/network/. Thin: parse, call a service, render.

What anyone signed in reads: ties (that they exist and how strong), bridges, warm
paths (explanations are counts, never notes), meeting series and attendance rates.
What only you read: your interactions and their notes, your nudges, your homework (and
your team's, if you lead it). Bad input is a 400 naming the field, nothing changed; a
malformed id or value (not a number, a NUL character) is ninja's 422, naming it too.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from liaison.org.models import Person, Team
from liaison.org.schemas import Invalid, Message, Pages, Slug, TeamRef, Text

from . import graph, meetings, services
from .models import HomeworkPlan, Interaction, MeetingSeries, Nudge, Occurrence, strength_label

router = Router(tags=["network"])
READ = {401: Message, 404: Message}
WRITE = {400: Invalid, 401: Message, 403: Message, 404: Message}


class PersonName(Schema):
    """A person as the network names them: no email address (org's PersonRef has one)."""

    id: int
    name: str


class InteractionIn(Schema):
    kind: Text(20)
    occurred_on: date
    participants: list[Text(254)]
    note: Text(5000) = ""


class InteractionOut(Schema):
    id: int
    kind: str
    occurred_on: date
    author: PersonName
    participants: list[PersonName]
    note: str


class TieOut(Schema):
    person: PersonName
    strength: float
    label: str
    interactions: int
    last_on: date


class StepOut(Schema):
    from_person: PersonName
    to_person: PersonName
    text: str
    strength: float


class PathOut(Schema):
    found: bool
    people: list[PersonName]
    steps: list[StepOut]
    proven_best: bool


class BridgeOut(Schema):
    person: PersonName
    ties_a: int
    ties_b: int
    into_a: float
    into_b: float
    member_of: list[str]


class PartnerOut(Schema):
    team: TeamRef
    bridges: list[BridgeOut]


class NudgeOut(Schema):
    id: int
    team: TeamRef
    other_team: TeamRef
    reason: str
    suggested: list[PersonName]
    created_at: datetime
    cleared_at: datetime | None


class CadenceIn(Schema):
    cadence_days: int


class CadenceOut(Schema):
    team: TeamRef
    cadence_days: int


class HomeworkIn(Schema):
    colleague: Text(254)
    goal: Text(300) = ""


class HomeworkStepIn(Schema):
    step: Text(20)
    note: Text(5000) = ""


class HomeworkOut(Schema):
    id: int
    person: PersonName
    colleague: PersonName
    goal: str
    steps_done: int
    next_step: str | None
    created_at: datetime
    reached_out_at: datetime | None
    added_value_at: datetime | None
    reported_at: datetime | None
    report: str


class SeriesIn(Schema):
    name: Text(200)
    owner_team: Text(200)
    expected_teams: list[Text(200)]
    miss_threshold: int = 30


class SeriesOut(Schema):
    id: int
    name: str
    owner_team: TeamRef
    expected_teams: list[TeamRef]
    miss_threshold: int


class TeamRateOut(Schema):
    team: TeamRef
    attended: int
    declined: int
    no_show: int
    missed: int
    rate: int | None
    missed_share: int
    flagged: bool


class SeriesDetail(SeriesOut):
    held: int
    attendance_rate: int | None
    teams: list[TeamRateOut]


class AttendanceIn(Schema):
    occurrence: int
    person: Text(254)
    status: Text(10)


class AttendanceOut(Schema):
    occurrence: int
    person: PersonName
    status: str


class IcalIn(Schema):
    ics: Text(2_000_000)


class ImportOut(Schema):
    created: int
    updated: int
    cancelled: int


def _person(p):
    return {"id": p.pk, "name": p.name}


def _team(t):
    return {"slug": t.slug, "name": t.name}


def _teams_by_slug(user, slugs, field):
    found = {t.slug: t for t in Team.objects.visible_to(user).filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError({field: f"No team {', '.join(unknown)}."})
    return [found[s] for s in slugs]


# --- interactions and ties ------------------------------------------------------------------

def _interaction(i, user):
    return {"id": i.pk, "kind": i.kind, "occurred_on": i.occurred_on, "author": _person(i.author),
            "participants": [_person(p) for p in i.participants.all()], "note": i.note_for(user)}


@router.get("/network/interactions", response={200: list[InteractionOut], **READ})
@paginate(Pages)
def list_interactions(request):
    """Interactions you logged or took part in; notes only on those you logged."""
    qs = Interaction.objects.visible_to(request.auth).select_related("author").prefetch_related("participants")
    return [_interaction(i, request.auth) for i in qs]


@router.post("/network/interactions", response={201: InteractionOut, **WRITE})
def create_interaction(request, payload: InteractionIn):
    interaction = services.log_interaction(request.auth, kind=payload.kind, occurred_on=payload.occurred_on,
                                           participants=payload.participants, note=payload.note,
                                           now=timezone.now())
    return Status(201, _interaction(interaction, request.auth))


@router.get("/network/people/{person_id}/ties", response={200: list[TieOut], **READ})
def person_ties(request, person_id: int):
    """Whom a person has ties with and how strong: never what happened."""
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=person_id)
    return [{"person": _person(other), "strength": round(strength, 2), "label": strength_label(strength),
             "interactions": tie.interactions, "last_on": tie.last_on}
            for tie, other, strength in services.ties_of(person, timezone.localdate(), request.auth)]


@router.get("/network/path", response={200: PathOut, **WRITE})
def warm_path(request, to: Text(254)):
    """The best chain of strong ties from you to `to` (an email or a person id)."""
    _, result = services.warm_path_to(request.auth, to, timezone.localdate())
    if result is None:
        return {"found": False, "people": [], "steps": [], "proven_best": False}
    return {"found": True, "people": [_person(p) for p in result["people"]], "proven_best": result["proven_best"],
            "steps": [{"from_person": _person(s["from"]), "to_person": _person(s["to"]), "text": s["text"],
                       "strength": s["strength"]} for s in result["steps"]]}


def _bridge(b):
    return {**{k: b[k] for k in ("ties_a", "ties_b", "into_a", "into_b", "member_of")}, "person": _person(b["person"])}


@router.get("/network/bridges", response={200: list[BridgeOut], **WRITE})
def bridges(request, team_a: Slug, team_b: Slug):
    a, b = _teams_by_slug(request.auth, [team_a], "team_a") + _teams_by_slug(request.auth, [team_b], "team_b")
    return [_bridge(r) for r in graph.bridges(a, b, timezone.localdate())]


@router.get("/network/teams/{slug}/partners", response={200: list[PartnerOut], **READ})
def partners(request, slug: Slug):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    today = timezone.localdate()
    return [{"team": _team(p), "bridges": [_bridge(r) for r in graph.bridges(team, p, today)]}
            for p in graph.partner_teams(team, today)]


# --- nudges ------------------------------------------------------------------------------------

@router.get("/network/nudges", response={200: list[NudgeOut], **READ})
@paginate(Pages)
def list_nudges(request, open_only: bool = False):
    qs = Nudge.objects.visible_to(request.auth).select_related("team", "other_team").prefetch_related("suggested")
    if open_only:
        qs = qs.open()
    return [{"id": n.pk, "team": _team(n.team), "other_team": _team(n.other_team), "reason": n.reason,
             "suggested": [_person(p) for p in n.suggested.all()], "created_at": n.created_at,
             "cleared_at": n.cleared_at} for n in qs]


@router.get("/network/teams/{slug}/cadence", response={200: CadenceOut, **READ})
def get_cadence(request, slug: Slug):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    return {"team": _team(team), "cadence_days": services.cadence_of(team)}


@router.put("/network/teams/{slug}/cadence", response={200: CadenceOut, **WRITE})
def put_cadence(request, slug: Slug, payload: CadenceIn):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    row = services.set_cadence(team, payload.cadence_days, by=request.auth)
    return {"team": _team(team), "cadence_days": row.cadence_days}


# --- homework ------------------------------------------------------------------------------------

def _plan(p):
    nxt = p.next_step
    return {"id": p.pk, "person": _person(p.person), "colleague": _person(p.colleague), "goal": p.goal,
            "steps_done": p.steps_done, "next_step": nxt["key"] if nxt else None, "created_at": p.created_at,
            "reached_out_at": p.reached_out_at, "added_value_at": p.added_value_at, "reported_at": p.reported_at,
            "report": p.report}


@router.get("/network/homework", response={200: list[HomeworkOut], **READ})
def my_homework(request):
    qs = HomeworkPlan.objects.visible_to(request.auth).filter(person=request.auth).select_related("person",
                                                                                                  "colleague")
    return [_plan(p) for p in qs]


@router.post("/network/homework", response={201: HomeworkOut, **WRITE})
def start_homework(request, payload: HomeworkIn):
    plan = services.start_homework(request.auth, colleague=payload.colleague, goal=payload.goal, now=timezone.now())
    return Status(201, _plan(plan))


@router.post("/network/homework/{plan_id}/steps", response={200: HomeworkOut, **WRITE})
def homework_step(request, plan_id: int, payload: HomeworkStepIn):
    plan = get_object_or_404(HomeworkPlan.objects.visible_to(request.auth).select_related("person", "colleague"),
                             pk=plan_id)
    return _plan(services.advance_homework(plan, by=request.auth, step=payload.step, note=payload.note,
                                           now=timezone.now()))


@router.get("/network/teams/{slug}/homework", response={200: list[HomeworkOut], **WRITE})
def team_homework(request, slug: Slug):
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    return [_plan(p) for row in services.team_homework(team, request.auth) for p in row["plans"]]


# --- meetings -------------------------------------------------------------------------------------

def _series(s):
    return {"id": s.pk, "name": s.name, "owner_team": _team(s.owner_team), "miss_threshold": s.miss_threshold,
            "expected_teams": [_team(t) for t in s.expected_teams.all()]}


@router.get("/network/meetings", response={200: list[SeriesOut], **READ})
@paginate(Pages)
def list_series(request):
    qs = MeetingSeries.objects.visible_to(request.auth).select_related("owner_team").prefetch_related(
        "expected_teams")
    return [_series(s) for s in qs]


@router.post("/network/meetings", response={201: SeriesOut, **WRITE})
def create_series(request, payload: SeriesIn):
    [owner] = _teams_by_slug(request.auth, [payload.owner_team], "owner_team")
    expected = _teams_by_slug(request.auth, payload.expected_teams, "expected_teams")
    series = meetings.create_series(name=payload.name, owner_team=owner, expected_teams=expected, by=request.auth,
                                    miss_threshold=payload.miss_threshold, now=timezone.now())
    return Status(201, _series(series))


@router.get("/network/meetings/{series_id}", response={200: SeriesDetail, **READ})
def series_detail(request, series_id: int):
    series = get_object_or_404(MeetingSeries.objects.visible_to(request.auth).select_related("owner_team"),
                               pk=series_id)
    rates = meetings.attendance_rates(series, timezone.now())
    return {**_series(series), "held": rates["held"], "attendance_rate": rates["people"]["rate"],
            "teams": [{**{k: r[k] for k in ("attended", "declined", "no_show", "missed", "rate", "missed_share",
                                            "flagged")}, "team": _team(r["team"])} for r in rates["teams"]]}


@router.post("/network/meetings/{series_id}/attendance", response={200: AttendanceOut, **WRITE})
def record_attendance(request, series_id: int, payload: AttendanceIn):
    series = get_object_or_404(MeetingSeries.objects.visible_to(request.auth), pk=series_id)
    occurrence = Occurrence.objects.filter(series=series, pk=payload.occurrence).first()
    if occurrence is None:
        raise ValidationError({"occurrence": f"No occurrence {payload.occurrence} in this series."})
    row = meetings.record_attendance(occurrence, person=payload.person, status=payload.status, by=request.auth,
                                     now=timezone.now())
    return {"occurrence": occurrence.pk, "person": _person(row.person), "status": row.status}


@router.post("/network/meetings/{series_id}/import", response={200: ImportOut, **WRITE})
def import_ical(request, series_id: int, payload: IcalIn):
    series = get_object_or_404(MeetingSeries.objects.visible_to(request.auth), pk=series_id)
    return meetings.import_ical(series, payload.ics, by=request.auth, now=timezone.now(), field="ics")
