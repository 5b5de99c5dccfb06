"""What needs you: the signed-in home's one personal list, most urgent first.

The web floor sits on top and reads the domains: each `_category(ctx)` is one query
(plus the playbook's batch of facts) whatever the number of rows, so the home costs the
same for a person with one item as for one with fifty (tests/web/test_home.py asserts
it). Visibility: every row comes from what the person is party to — their own requests
and teams' requests (Request.visible_to), conflicts and incidents of their teams (Conflict.visible_to,
Incident.visible_to), their teams' nudges, their homework, the retrospective actions they own.

Urgency is a number from 0 to 100 per row (see each category); rows sort by it, then by date.
Groups: one per team when the person belongs to several, ordered by their most urgent row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from liaison.agenda.models import Conflict
from liaison.core.business_days import add_business_days, business_days_between
from liaison.network.models import HomeworkPlan, Nudge
from liaison.org.models import Membership, Team
from liaison.requests.models import (
    OPEN_STATUSES,
    Blocker,
    Escalation,
    EscalationWarning,
    Request,
    Status,
    Thanks,
    scope_team_ids,
)

ROW_LIMIT = 12  # per category: the home is a to-do list, the inbox is the archive
URGENT, SOON = 80, 60
REQUEST_RELATED = ("service", "requester", "requester_team", "provider_team", "provider_owner")


@dataclass
class Need:
    kind: str
    title: str
    link: str
    why: str
    urgency: int
    team: Team | None = None
    when: object = None
    step: dict = field(default_factory=dict)  # {"action": name, "label"} inline, or {"href", "label"}
    obj: object = None
    subject_kind: str = ""  # "request" | "conflict" | "incident" | "nudge": the playbook advises on it
    advice: list = field(default_factory=list)

    @property
    def level(self):
        return "urgent" if self.urgency >= URGENT else "soon" if self.urgency >= SOON else ""

    @property
    def key(self):
        return f"{self.kind}-{self.obj.pk if self.obj is not None else self.link}"


class Ctx:
    def __init__(self, user, now):
        self.user, self.now, self.today = user, now, timezone.localdate(now)
        self.teams = {m.team_id: m.team for m in Membership.objects.filter(person=user).select_related("team")}
        self.led = {pk for pk, t in self.teams.items() if t.lead_id == user.pk}


def _days(d, today):
    return (d - today).days


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- requests --------------------------------------------------------------------------------------

def unacknowledged(ctx):
    """Requests waiting for my team's answer: urgency grows with their age against the lead time."""
    rows = (Request.objects.filter(provider_team_id__in=ctx.teams, status=Status.SUBMITTED)
            .select_related(*REQUEST_RELATED).order_by("submitted_at")[:ROW_LIMIT])
    needs = []
    for r in rows:
        waited = business_days_between(timezone.localdate(r.submitted_at), ctx.today, r.service.working_days)
        lead = max(1, r.service.lead_time_days)
        urgency = min(95, 55 + round(30 * waited / lead) + (15 if r.short_notice else 0))
        why = (f"Waiting for {ctx.teams[r.provider_team_id].name}'s answer for {_plural(waited, 'business day')}"
               f" (lead time {lead}); needed by {r.need_by:%a %d %b}")
        if r.short_notice:
            why += f", short notice ({r.notice_business_days} business days)"
        needs.append(Need("unacknowledged", r.title, r.get_absolute_url(), why + ".", urgency,
                          ctx.teams[r.provider_team_id], r.need_by, {"action": "acknowledge", "label": "Acknowledge"},
                          r, "request"))
    return needs


def commitments(ctx):
    """My commitments due within three business days or overdue (a lead: the team's)."""
    soon = add_business_days(ctx.today, 3)
    mine = Q(provider_owner=ctx.user) | Q(provider_team_id__in=ctx.led)
    rows = (Request.objects.filter(mine, status=Status.COMMITTED, committed_date__lte=soon)
            .select_related(*REQUEST_RELATED).order_by("committed_date")[:ROW_LIMIT])
    needs = []
    for r in rows:
        left = _days(r.committed_date, ctx.today)
        who = "You" if r.provider_owner_id == ctx.user.pk else (r.provider_owner.name if r.provider_owner else
                                                               r.provider_team.name)
        if left < 0:
            why, urgency = f"{who} committed to {r.committed_date:%a %d %b}: {_plural(-left, 'day')} overdue.", \
                min(99, 90 + -left)
        else:
            why, urgency = (f"{who} committed to {r.committed_date:%a %d %b}: "
                            f"{'today' if left == 0 else 'in ' + _plural(left, 'day')}.", 78 - 3 * left)
        needs.append(Need("commitment", r.title, r.get_absolute_url(), why, urgency, ctx.teams.get(r.provider_team_id),
                          r.committed_date, {"action": "deliver", "label": "Deliver"}, r, "request"))
    return needs


def forecasts(ctx):
    """My heads-up forecasts whose confirm-by date is within a week or past."""
    rows = (Request.objects.filter(requester=ctx.user, status=Status.FORECAST,
                                   confirm_by__lte=ctx.today + timedelta(days=7))
            .select_related(*REQUEST_RELATED).order_by("confirm_by")[:ROW_LIMIT])
    needs = []
    for r in rows:
        left = _days(r.confirm_by, ctx.today)
        why = (f"You said you would confirm by {r.confirm_by:%a %d %b}"
               + (f" ({_plural(-left, 'day')} ago)." if left < 0 else ".")
               + f" {r.provider_team.name} plans on {r.probability} %.")
        needs.append(Need("forecast", r.title, r.get_absolute_url(), why, 72 if left < 0 else 50 - left,
                          ctx.teams.get(r.requester_team_id), r.confirm_by,
                          {"action": "confirm", "label": "Confirm it"}, r, "request"))
    return needs


def _call_href(obj):
    """The playbook's "Book a call" address for `obj` (the same address its move links to)."""
    return f"{reverse('playbook:invite')}?{urlencode({'about': obj.get_absolute_url(), 'purpose': 'call'})}"


def hard_dates(ctx):
    """My requests (a lead: my team's) whose hard date is at risk: committed past it, or short
    notice and not yet answered. Waiting on others, but the next move (a call, options) is mine."""
    mine = Q(requester=ctx.user) | Q(requester_team_id__in=ctx.led)
    at_risk = (Q(status=Status.COMMITTED, committed_date__gt=F("need_by"))
               | Q(status__in=(Status.SUBMITTED, Status.ACKNOWLEDGED), short_notice=True))
    rows = (Request.objects.filter(mine, at_risk, date_kind="hard").select_related(*REQUEST_RELATED)
            .order_by("need_by")[:ROW_LIMIT])
    needs = []
    for r in rows:
        if r.committed_date:
            why = (f"{r.provider_team.name} committed to {r.committed_date:%a %d %b}, after your hard date "
                   f"({r.need_by:%a %d %b}).")
            urgency = 70
        else:
            why = (f"Hard date {r.need_by:%a %d %b} on short notice ({r.notice_business_days} business days where "
                   f"{r.service.name} needs {r.service.lead_time_days}); {r.provider_team.name} has "
                   f"{'acknowledged but not committed' if r.status == Status.ACKNOWLEDGED else 'not answered yet'}.")
            left = _days(r.need_by, ctx.today)  # the closer the hard date, the more urgent the call
            urgency = 64 + (20 if left <= 1 else 10 if left <= 3 else 0)
        needs.append(Need("hard_date", r.title, r.get_absolute_url(), why, urgency,
                          ctx.teams.get(r.requester_team_id), r.need_by,
                          {"href": _call_href(r), "label": "Book a call"}, r, "request"))
    return needs


def deliveries(ctx):
    """Delivered to me (a lead: to my team), waiting for acceptance."""
    mine = Q(requester=ctx.user) | Q(requester_team_id__in=ctx.led)
    rows = (Request.objects.filter(mine, status=Status.DELIVERED).select_related(*REQUEST_RELATED)
            .order_by("delivered_at")[:ROW_LIMIT])
    return [Need("accept", r.title, r.get_absolute_url(),
                 f"{r.provider_team.name} delivered on {timezone.localtime(r.delivered_at):%a %d %b}: accept it, or "
                 "say what is missing.", 66, ctx.teams.get(r.requester_team_id), r.delivered_at,
                 {"action": "accept", "label": "Accept"}, r, "request") for r in rows]


def thanks_due(ctx):
    """Accepted in the last 30 days and nobody said thank you."""
    rows = (Request.objects.filter(requester=ctx.user, status=Status.ACCEPTED,
                                   accepted_at__gte=ctx.now - timedelta(days=30))
            .filter(~Exists(Thanks.objects.filter(request=OuterRef("pk"))))
            .select_related(*REQUEST_RELATED).order_by("-accepted_at")[:ROW_LIMIT])
    return [Need("thank", r.title, r.get_absolute_url(),
                 f"Accepted on {timezone.localtime(r.accepted_at):%a %d %b}; the people at {r.provider_team.name} "
                 "have not heard what it made possible.", 40, ctx.teams.get(r.requester_team_id), r.accepted_at,
                 {"action": "thank", "label": "Say thank you"}, r, "request") for r in rows]


def blockers(ctx):
    """Open blockers the other side raised on requests I am the contact for."""
    mine = (Q(request__requester=ctx.user) | Q(request__provider_owner=ctx.user)
            | Q(request__provider_team_id__in=ctx.led) | Q(request__requester_team_id__in=ctx.led))
    rows = (Blocker.objects.filter(mine, cleared_at__isnull=True, request__status__in=OPEN_STATUSES)
            .exclude(raised_by=ctx.user).select_related("raised_by", *(f"request__{f}" for f in REQUEST_RELATED))
            .order_by("raised_at")[:ROW_LIMIT])
    needs = []
    for b in rows:
        r = b.request
        team = ctx.teams.get(r.requester_team_id) or ctx.teams.get(r.provider_team_id)
        needs.append(Need("blocker", r.title, f"{r.get_absolute_url()}#blockers-h",
                          f"{b.raised_by.name} is blocked: “{b.description[:140]}”", 74, team, b.raised_at,
                          {"href": f"{r.get_absolute_url()}#blockers-h", "label": "Clear or answer it"}, r, "request"))
    return needs


def warnings(ctx):
    """Escalation warnings whose grace period ends within a business day, or ended: both sides."""
    edge = add_business_days(ctx.today, 1)
    rows = (EscalationWarning.objects.filter(deadline__lte=edge, deadline__gte=ctx.today - timedelta(days=7),
                                             request__status__in=OPEN_STATUSES)
            .filter(Q(request__requester=ctx.user) | Q(request__requester_team_id__in=ctx.led)
                    | Q(request__provider_team_id__in=ctx.teams))
            .filter(~Exists(Escalation.objects.filter(warning=OuterRef("pk"))))
            .select_related("by", *(f"request__{f}" for f in REQUEST_RELATED)).order_by("deadline")[:ROW_LIMIT])
    needs = []
    for w in rows:
        r = w.request
        if r.provider_team_id in ctx.teams:
            why = (f"{w.by.name} warned: if this is not settled by {w.deadline:%a %d %b}, they will ask for help.")
            step = {"href": f"{r.get_absolute_url()}?do=progress#act-progress", "label": "Post progress"}
            team = ctx.teams[r.provider_team_id]
        else:
            ended = w.deadline < ctx.today
            why = (f"The grace period you gave {'ended' if ended else 'ends'} on {w.deadline:%a %d %b}."
                   + (" You may escalate now, or settle it." if ended else " Settle it, or escalate after it."))
            step = {"href": f"{r.get_absolute_url()}?do=escalate#act-escalate" if ended else r.get_absolute_url(),
                    "label": "Escalate" if ended else "Open it"}
            team = ctx.teams.get(r.requester_team_id)
        needs.append(Need("warning", r.title, r.get_absolute_url(), why, 86, team, w.deadline, step, r, "request"))
    return needs


# --- agenda, network ---------------------------------------------------------------------------------

SEVERITY_URGENCY = {"critical": 88, "high": 76, "medium": 58, "low": 42}


def conflicts(ctx):
    # a collision whose window has passed cannot be avoided any more: not on the to-do list
    rows = (Conflict.objects.visible_to(ctx.user).unsettled().filter(overlap_end__gte=ctx.now)
            .filter(Q(change__team_id__in=ctx.teams) | Q(event__team_id__in=ctx.teams))
            .select_related("change__team__lead", "event__team__lead", "freeze__team__lead")
            .order_by("-score", "overlap_start")[:ROW_LIMIT])
    needs = []
    for c in rows:
        other = c.event or c.freeze
        ours = c.change.team if c.change.team_id in ctx.teams else other.team
        why = (f"{c.change.title} ({c.change.team.name}) collides with {other.title}"
               f"{' (' + other.team.name + ')' if other.team else ''} on "
               f"{timezone.localtime(c.overlap_start):%a %d %b %H:%M}: {c.get_severity_display().lower()}"
               f"{', delay asked' if c.status == 'delay_asked' else ''}.")
        soon = 6 if c.overlap_start - ctx.now <= timedelta(days=7) else 0  # closer is more urgent
        needs.append(Need("conflict", f"Conflict: {c.change.title} against {other.title}", c.get_absolute_url(), why,
                          SEVERITY_URGENCY.get(c.severity, 50) + soon, ours, c.overlap_start,
                          {"href": c.get_absolute_url(), "label": "Settle it"}, c, "conflict"))
    return needs


INCIDENT_URGENCY = {"critical": 90, "high": 80, "medium": 62, "low": 48}


def incidents(ctx):
    """Open (or stable, not closed) incidents my teams are involved in."""
    from liaison.incidents.models import Incident, IncidentTeam

    rows = (Incident.objects.visible_to(ctx.user).open()
            .filter(Exists(IncidentTeam.objects.filter(incident=OuterRef("pk"), team_id__in=ctx.teams))
                    | Q(service_team_id__in=ctx.teams))
            .select_related("service_team").order_by("-opened_at")[:ROW_LIMIT])
    mine = dict(IncidentTeam.objects.filter(incident__in=rows, team_id__in=ctx.teams).values_list("incident_id",
                                                                                                  "team_id"))
    needs = []
    for i in rows:
        state = "stable, not yet closed" if i.status == "stable" else "open"
        team = ctx.teams.get(mine.get(i.pk)) or ctx.teams.get(i.service_team_id)
        needs.append(Need("incident", f"Incident: {i.title}", i.get_absolute_url(),
                          f"A {i.get_severity_display().lower()} incident, {state} since "
                          f"{timezone.localtime(i.opened_at):%a %d %b}.",
                          INCIDENT_URGENCY.get(i.severity, 50) - (20 if i.status == "stable" else 0), team,
                          i.opened_at, {"href": i.get_absolute_url(), "label": "Open it"}, i, "incident"))
    return needs


def retro_actions(ctx):
    """Retrospective action items I own that are not delivered yet."""
    from liaison.incidents.models import ActionItem

    rows = (ActionItem.objects.filter(owner=ctx.user, request__status__in=(*OPEN_STATUSES, Status.FORECAST))
            .select_related("retrospective__incident", *(f"request__{f}" for f in REQUEST_RELATED))
            .order_by("request__due_date")[:ROW_LIMIT])
    needs = []
    for a in rows:
        r = a.request
        left = _days(r.due_date, ctx.today)
        needs.append(Need("retro_action", f"Retrospective action: {a.title}", r.get_absolute_url(),
                          f"You own this action from the retrospective of “{a.retrospective.incident.title}”; due "
                          f"{r.due_date:%a %d %b}" + (f", {_plural(-left, 'day')} overdue." if left < 0 else "."),
                          85 if left < 0 else 60 - min(left, 20), ctx.teams.get(r.provider_team_id), r.due_date,
                          {"href": f"{r.get_absolute_url()}?do=progress#act-progress", "label": "Post progress"},
                          r, "request"))
    return needs


def nudges(ctx):
    rows = (Nudge.objects.open().filter(team_id__in=ctx.teams).select_related("team", "other_team__lead")
            .order_by("-created_at")[:ROW_LIMIT])
    return [Need("nudge", f"Nobody has talked to {n.other_team.name} lately", f"/network/nudges/?nudge={n.pk}",
                 n.reason, 30, ctx.teams.get(n.team_id), n.created_at,
                 {"href": "/network/log/", "label": "Log a conversation"}, n, "nudge") for n in rows]


def homework(ctx):
    rows = (HomeworkPlan.objects.filter(person=ctx.user, reported_at__isnull=True).select_related("colleague")
            .order_by("created_at")[:ROW_LIMIT])
    needs = []
    for h in rows:
        step = h.next_step
        needs.append(Need("homework", f"Homework: {h.colleague.name}", "/network/homework/",
                          f"Next: {step['label'].lower()} ({h.steps_done} of 4 steps done).", 25, None, h.created_at,
                          {"href": "/network/homework/", "label": step["label"]}, h))
    return needs


#: The categories in the order they are asked (the list is then sorted by urgency).
CATEGORIES = [unacknowledged, commitments, warnings, blockers, conflicts, incidents, retro_actions, hard_dates,
              deliveries, forecasts, thanks_due, nudges, homework]


def _sort_key(need):
    when = need.when
    if isinstance(when, datetime):
        when = timezone.localdate(when)
    return (-need.urgency, when or date.max, need.title)


def needs_of(user, now, *, advise=True):
    """(ctx, [Need] most urgent first) for `user`, each with the playbook's advice attached."""
    ctx = Ctx(user, now)
    best = {}  # one row per object: the most urgent reason it is here (an overdue commitment that was warned about)
    for category in CATEGORIES:
        for need in category(ctx):
            key = need.link.split("#")[0]
            if key not in best or need.urgency > best[key].urgency:
                best[key] = need
    found = sorted(best.values(), key=_sort_key)
    if advise:
        _attach_advice(found, user, now)
    return ctx, found


def _attach_advice(needs, user, now):
    """The playbook's advice per row, minus the move the row already offers as its step."""
    from liaison.playbook.advisor import advise
    from liaison.playbook.situations import conflict_subjects, incident_subjects, nudge_subjects, request_subjects

    loaders = {"request": request_subjects, "conflict": conflict_subjects, "nudge": nudge_subjects,
               "incident": incident_subjects}
    by_kind = defaultdict(dict)
    for n in needs:
        if n.subject_kind:
            by_kind[n.subject_kind][n.obj.pk] = n.obj
    subjects = [s for kind, objs in by_kind.items() for s in loaders[kind](objs.values(), now)]
    advice = advise(subjects, user, now)
    for n in needs:
        if n.subject_kind:
            link = (n.obj.get_absolute_url() if n.subject_kind != "nudge" else f"/network/nudges/?nudge={n.obj.pk}")
            n.advice = advice.get(link, [])
            for a in n.advice:
                a.steps = [s for s in a.steps if s.url != n.step.get("href") and s.move != n.step.get("action")]


def grouped(ctx, needs):
    """[(team or None, [Need])]: one group per team when the person belongs to several."""
    if len(ctx.teams) <= 1:
        return [(None, needs)] if needs else []
    groups = defaultdict(list)
    for n in needs:
        groups[n.team.pk if n.team else None].append(n)
    order = sorted(groups.items(), key=lambda item: _sort_key(item[1][0]))
    return [(ctx.teams.get(pk), rows) for pk, rows in order]


# --- leads and managers ---------------------------------------------------------------------------------

def member_load(ctx):
    """For each team I lead: each member's open work (owned as provider, asked as requester). Two queries."""
    if not ctx.led:
        return []
    members = list(Membership.objects.filter(team_id__in=ctx.led).select_related("person").order_by("person__name"))
    ids = {m.person_id for m in members}
    owned = {row["provider_owner"]: row for row in Request.objects.filter(
        provider_owner_id__in=ids, status__in=OPEN_STATUSES).values("provider_owner").annotate(
        open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=ctx.today)))}
    asked = dict(Request.objects.filter(requester_id__in=ids, status__in=(*OPEN_STATUSES, Status.DELIVERED))
                 .values("requester").annotate(n=Count("id")).values_list("requester", "n"))
    tables = defaultdict(list)
    for m in members:
        o = owned.get(m.person_id, {})
        tables[m.team_id].append({"person": m.person, "owned": o.get("open", 0), "overdue": o.get("overdue", 0),
                                  "asked": asked.get(m.person_id, 0)})
    return [(ctx.teams[pk], rows) for pk, rows in tables.items()]


ROLLUP_LIMIT = 50


def rollup(ctx):
    """A manager's subtree: per team in their scope, what waits and what is late. Three queries."""
    scope = set(scope_team_ids(ctx.user))
    if not scope - set(ctx.teams) and len(scope) <= 1:
        return []
    provider = {row["provider_team"]: row for row in Request.objects.filter(
        provider_team_id__in=scope, status__in=OPEN_STATUSES).values("provider_team").annotate(
        open=Count("id"), unacknowledged=Count("id", filter=Q(status=Status.SUBMITTED)),
        overdue=Count("id", filter=Q(due_date__lt=ctx.today)), blocked=Count("id", filter=Q(open_blockers__gt=0)))}
    conflicts_of = defaultdict(int)
    for change_team, event_team in Conflict.objects.unsettled().filter(
            Q(change__team_id__in=scope) | Q(event__team_id__in=scope)).values_list("change__team_id",
                                                                                   "event__team_id"):
        for t in {change_team, event_team} & scope:
            conflicts_of[t] += 1
    teams = Team.objects.filter(pk__in=scope).only("id", "name", "slug", "parent_id").order_by("name")
    rows = []
    for t in teams:
        p = provider.get(t.pk, {})
        rows.append({"team": t, "open": p.get("open", 0), "unacknowledged": p.get("unacknowledged", 0),
                     "overdue": p.get("overdue", 0), "blocked": p.get("blocked", 0),
                     "conflicts": conflicts_of.get(t.pk, 0)})
    rows.sort(key=lambda r: (-r["overdue"], -r["conflicts"], -r["unacknowledged"], r["team"].name))
    return rows[:ROLLUP_LIMIT]
