"""The difficult moments the playbook knows, detected from the domains' own state.

A *subject* is one object a person can act on — a request, an agenda conflict, a nudge
("a relationship gone quiet") — wrapped with what the detectors need. Detectors are
functions `detect(subject, now) -> str | None` returning the one-sentence headline of
the situation when it holds. Which moves follow, for whom and in what order is data
(models.Rule), not code.

Batching: `request_subjects(requests, now)` loads every fact the detectors read for any
number of requests in five queries (warnings, thanks, the last days' comments, the two
teams' leads), so the
home page asks the same number of queries for one request as for fifty.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from .sentiment import is_hostile

#: A thread is long when this many replies arrive within a day ...
MANY_REPLIES_PER_DAY = 6
#: ... or when this many different people wrote in it over the last week.
MANY_PEOPLE = 5
NEW_LEAD_DAYS = 30


@dataclass
class Subject:
    kind: str  # "request" | "conflict" | "nudge"
    obj: object
    link: str
    title: str
    facts: dict = field(default_factory=dict)


# --- loading ------------------------------------------------------------------------------------

def request_subjects(requests, now):
    """Subjects for requests (with service, teams loaded), facts in five queries in all."""
    from liaison.requests.models import EscalationWarning, EventKind, RequestEvent, Thanks

    requests = list(requests)
    ids = [r.pk for r in requests]
    warnings, thanked, replies, lead_since = {}, set(), defaultdict(list), {}
    if ids:
        for w in EscalationWarning.objects.filter(request_id__in=ids).order_by("at", "id"):
            warnings[w.request_id] = w  # the latest wins
        thanked = set(Thanks.objects.filter(request_id__in=ids).values_list("request_id", flat=True))
        lead_since = _lead_since({t for r in requests for t in (r.requester_team_id, r.provider_team_id)})
        week = now - timedelta(days=7)
        for request_id, actor_id, at, data in (RequestEvent.objects.filter(
                request_id__in=ids, kind=EventKind.COMMENTED, at__gte=week)
                .values_list("request_id", "actor_id", "at", "data")):
            replies[request_id].append((actor_id, at, (data or {}).get("text", "")))
    subjects = []
    for r in requests:
        subjects.append(Subject("request", r, r.get_absolute_url(), r.title, {
            "warning": warnings.get(r.pk), "thanked": r.pk in thanked, "replies": replies.get(r.pk, []),
            "lead_since": lead_since, "teams": {"asking": r.requester_team_id, "serving": r.provider_team_id},
        }))
    return subjects


def _lead_since(team_ids):
    """{team id: (lead's name, when the lead took over)} for teams whose lead joined after the
    team's first member (a lead who took over a team, not the team's founding lead); two queries."""
    from django.db.models import F, Min

    from liaison.org.models import Membership

    first = dict(Membership.objects.filter(team_id__in=team_ids).values("team_id")
                 .annotate(first=Min("joined_at")).values_list("team_id", "first"))
    rows = (Membership.objects.filter(team_id__in=team_ids, person_id=F("team__lead_id"))
            .values_list("team_id", "person__name", "joined_at"))
    return {team_id: (name, joined) for team_id, name, joined in rows
            if first.get(team_id) and joined - first[team_id] > timedelta(days=1)}


def conflict_subjects(conflicts, now):
    return [Subject("conflict", c, c.get_absolute_url(), str(c), {}) for c in conflicts]


def incident_subjects(incidents, now):
    """Subjects for incidents, with each one's teams by role (one query for all)."""
    from liaison.incidents.models import IncidentTeam

    incidents = list(incidents)
    roles = defaultdict(lambda: {"service": set(), "affected": set()})
    for incident_id, team_id, role in IncidentTeam.objects.filter(incident__in=incidents).values_list(
            "incident_id", "team_id", "role"):
        roles[incident_id][role].add(team_id)
    subjects = []
    for i in incidents:
        teams = roles[i.pk]
        if i.service_team_id:
            teams["service"].add(i.service_team_id)
        subjects.append(Subject("incident", i, i.get_absolute_url(), i.title, {"roles": teams}))
    return subjects


def nudge_subjects(nudges, now):
    return [Subject("nudge", n, f"/network/nudges/?nudge={n.pk}", f"{n.team} and {n.other_team}", {})
            for n in nudges]


LINK = re.compile(r"^/(?:(requests)/(\d+)/|agenda/(conflicts)/(\d+)/|network/(nudges)/\?nudge=(\d+)"
                  r"|(incidents)/(\d+)/)$")


def subject_for_link(link, viewer, now):
    """The Subject a link names, if `viewer` may see it; else None (callers answer 404)."""
    from liaison.agenda.models import Conflict
    from liaison.network.models import Nudge
    from liaison.requests.models import Request

    match = LINK.match(link or "")
    if not match:
        return None
    if match.group(1):
        obj = (Request.objects.visible_to(viewer).select_related("service", "requester", "requester_team",
                                                                   "provider_team", "provider_owner")
               .filter(pk=match.group(2)).first())
        return request_subjects([obj], now)[0] if obj else None
    if match.group(3):
        obj = (Conflict.objects.visible_to(viewer).select_related(
            "change__team__lead", "event__team__lead", "freeze__team__lead").filter(pk=match.group(4)).first())
        return conflict_subjects([obj], now)[0] if obj else None
    if match.group(7):
        from liaison.incidents.models import Incident

        obj = Incident.objects.visible_to(viewer).filter(pk=match.group(8)).first()
        return incident_subjects([obj], now)[0] if obj else None
    obj = Nudge.objects.visible_to(viewer).select_related("team", "other_team__lead").filter(pk=match.group(6)).first()
    return nudge_subjects([obj], now)[0] if obj else None


def _today(subject, now):
    r = subject.obj
    from liaison.requests.services import local_today

    return local_today(r.service, now)


# --- request situations -------------------------------------------------------------------------

def overdue(subject, now):
    r = subject.obj
    if subject.kind == "request" and r.is_open and r.committed_date and r.committed_date < _today(subject, now):
        days = (_today(subject, now) - r.committed_date).days
        return f"The commitment of {r.committed_date:%a %d %b} is {days} day{'s' if days != 1 else ''} overdue."
    return None


def past_hard_date(subject, now):
    r = subject.obj
    if (subject.kind == "request" and r.is_open and r.date_kind == "hard" and r.committed_date
            and r.committed_date > r.need_by):
        return (f"The committed date ({r.committed_date:%a %d %b}) is after the hard need-by date "
                f"({r.need_by:%a %d %b}).")
    return None


def second_slip(subject, now):
    r = subject.obj
    if subject.kind == "request" and r.is_open and r.slip_count >= 2:
        return f"The commitment has moved {r.slip_count} times."
    return None


def short_notice(subject, now):
    r = subject.obj
    if subject.kind == "request" and r.short_notice and r.status in ("submitted", "acknowledged"):
        return (f"Short notice: {r.notice_business_days} business days where the service's lead time is "
                f"{r.service.lead_time_days}.")
    return None


def delivery(subject, now):
    r = subject.obj
    if subject.kind != "request":
        return None
    if r.status == "delivered":
        return "Delivered: it waits for the requester to accept it."
    if r.status == "accepted" and not subject.facts.get("thanked"):
        return "Accepted, and nobody has said thank you yet."
    return None


def heated_thread(subject, now):
    if subject.kind != "request":
        return None
    replies = subject.facts.get("replies", [])
    last_day = [x for x in replies if x[1] >= now - timedelta(days=1)]
    if len(last_day) >= MANY_REPLIES_PER_DAY:
        return f"{len(last_day)} replies in the last day: the thread is running long."
    people = {actor for actor, _, _ in replies if actor}
    if len(people) >= MANY_PEOPLE:
        return f"{len(people)} people wrote in this thread this week."
    if any(is_hostile(text) for _, _, text in replies[-5:]):
        return "The tone of the latest replies has turned hostile."
    return None


# --- agenda, network ------------------------------------------------------------------------------

def conflict(subject, now):
    c = subject.obj
    if subject.kind == "conflict" and c.status in ("open", "delay_asked"):
        when = timezone.localtime(c.overlap_start)
        # change_label/against_label: the other team's confidential item is not named (agenda.models)
        return (f"A {c.get_severity_display().lower()} conflict: {c.change_label} collides with "
                f"{c.against_label} on {when:%a %d %b}.")
    return None


def incident(subject, now):
    i = subject.obj
    if subject.kind == "incident" and i.status != "closed":
        state = "stable, not closed" if i.status == "stable" else "open"
        return (f"A {i.get_severity_display().lower()} incident, {state} since "
                f"{timezone.localtime(i.stable_at or i.opened_at):%a %d %b}: {i.title}.")
    return None


def quiet(subject, now):
    n = subject.obj
    if subject.kind == "nudge" and n.cleared_at is None:
        return n.reason
    return None


def new_lead(subject, now):
    """The other side's lead took over recently (their membership of that team is new).

    Which side is "the other" depends on the viewer: the advisor sets facts["viewer_side"]."""
    side = subject.facts.get("viewer_side")
    teams = subject.facts.get("teams") or {}
    if side not in ("asking", "serving") or not teams:
        return None
    other_team = teams["serving" if side == "asking" else "asking"]
    name, since = (subject.facts.get("lead_since") or {}).get(other_team, (None, None))
    if since and now - timedelta(days=NEW_LEAD_DAYS) <= since <= now:
        return f"{name} has led the other team since {since:%d %b}: a new lead on the other side."
    return None


DETECTORS = {
    # first: when a thread runs long or hot, the channel is the first thing to change
    "heated_thread": (heated_thread, "A long or heated thread"),
    "conflict": (conflict, "A new or worsening agenda conflict"),
    "overdue": (overdue, "A commitment is overdue"),
    "past_hard_date": (past_hard_date, "A commitment moved past a hard date"),
    "second_slip": (second_slip, "A second slip"),
    "short_notice": (short_notice, "A short-notice request"),
    "delivery": (delivery, "A delivery"),
    "incident": (incident, "An incident"),
    "quiet": (quiet, "A relationship gone quiet"),
    "new_lead": (new_lead, "A new lead on the other side"),
}


def situation_label(code):
    return DETECTORS[code][1] if code in DETECTORS else code


def detect(subject, now):
    """[(situation code, headline)] that hold for `subject`, in DETECTORS order."""
    found = []
    for code, (detector, _) in DETECTORS.items():
        headline = detector(subject, now)
        if headline:
            found.append((code, headline))
    return found
