"""The demo's requests, the machinery: the world the stories share and a request's life.

`_World` holds what every story needs (the enterprise, its clock, the random source,
people and services by name); `_Life` plays one request's life through the real
services of liaison.requests, each step at its own moment — a moment after the demo's
present simply does not happen. The stories themselves are in liaison.requests.demo.
"""

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from liaison.core.business_days import add_business_days
from liaison.org.models import Person, Service

from . import services as s
from .models import Status

DAYS = 730
BACKGROUND_PER_PERSON = 0.8  # ordinary requests over two years, per person
BACKGROUND_MAX = 4000
EXCHANGE_DAYS_AGO = 305  # the second three-month exchange with HQ (liaison.network.demo)
START_UP_DAYS = 120  # the offshore partner's good months, with Claims trainers on site

OWNING = [
    "I know this is less notice than you ask for — {why}; sorry, and thank you for making room.",
    "Short notice on our side, I own that: {why}.",
    "This is late and that is on us: {why}. Anything you can do helps.",
]
LATE_BECAUSE = [
    "the client only confirmed yesterday", "we found out in this morning's review", "the regulator moved the date",
    "our own supplier let us down", "the decision was taken at the board this week",
]


# --- the world the stories share ------------------------------------------------------

class _World:
    def __init__(self, rng, enterprise, now):
        self.rng, self.now, self.enterprise = rng, now, enterprise
        plan = enterprise.plan
        people = {p.email: p for p in Person.objects.order_by("email")}
        self.members = {name: [people[m.email] for m in team.members if m.email in people]
                        for name, team in plan.teams.items()}
        self.gender = {m.email: m.gender for team in plan.teams.values() for m in team.members}
        self.parent = {name: team.parent for name, team in plan.teams.items()}
        self.teams = enterprise.teams
        self.services = list(Service.objects.select_related("team").order_by("slug"))
        self.by_name = {service.name: service for service in self.services}
        self.made = 0
        self.total = 1

    def person(self, key):
        return self.enterprise.people.get(key)

    def pick(self, items):
        return items[self.rng.randrange(len(items))]

    def counted(self):
        self.made += 1
        if self.made % 20 == 0:
            self.enterprise.report("requests", self.made, self.total)


def _tz(service):
    return ZoneInfo(service.time_zone or "UTC")


def _on(service, day, hour, minute=0):
    """The moment `hour:minute` on `day` in the service's time zone, in UTC."""
    return datetime.combine(day, time(hour, minute), _tz(service)).astimezone(UTC)


def _later(service, start, hours):
    """`hours` working hours after `start`, in the service's opening hours and working days."""
    tz, left = _tz(service), timedelta(hours=hours)
    t = start.astimezone(tz)
    while True:
        opens = datetime.combine(t.date(), service.hours_start, tz)
        closes = datetime.combine(t.date(), service.hours_end, tz)
        if str(t.isoweekday()) not in service.working_days or t >= closes:
            t = datetime.combine(t.date() + timedelta(days=1), service.hours_start, tz)
            continue
        t = max(t, opens)
        if left <= closes - t:
            return (t + left).astimezone(UTC)
        left -= closes - t
        t = datetime.combine(t.date() + timedelta(days=1), service.hours_start, tz)


def _bday(service, day, n):
    return add_business_days(day, n, service.working_days)


def _asked_at(w, service, days_ago, person=None):
    """A working-hours moment about `days_ago` days before now, in the requester's time zone."""
    tz = ZoneInfo(getattr(person, "time_zone", "") or service.time_zone or "UTC")
    day = (w.now - timedelta(days=days_ago)).astimezone(tz).date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(w.rng.randint(8, 16), w.rng.choice([0, 10, 25, 40, 55])), tz).astimezone(UTC)


def _lognormal_hours(rng, median, spread=0.6, cap=400):
    return min(cap, median * math.exp(rng.gauss(0, spread)))


class _Life:
    """One request's life, told step by step; the first step after `now` ends the telling.

    Each step takes its moment; moments never go backwards (a step planned too early is
    moved just after the previous one) and dates are clamped to what the services
    accept at that moment (a commitment is never in the past), so a story can be
    written in plain terms and still be valid when the calendar is awkward.
    """

    def __init__(self, w, service, requester, team):
        self.w, self.service, self.requester, self.team = w, service, requester, team
        self.request, self.clock, self.stopped = None, None, False

    def _go(self, at):
        if self.stopped:
            return None
        if self.clock is not None:
            at = max(at, self.clock + timedelta(minutes=3))
        if at > self.w.now:
            self.stopped = True
            return None
        self.clock = at
        return at

    @property
    def status(self):
        return self.request.status if self.request else None

    def today(self, at=None):
        return s.local_today(self.service, at or self.clock)

    def _owned(self, need_by, since):
        notice = s.notice_for(self.service, need_by, s.local_today(self.service, since))
        if notice >= self.service.lead_time_days:
            return ""
        return self.w.pick(OWNING).format(why=self.w.pick(LATE_BECAUSE))

    def ask(self, at, *, title, context, need_by, date_kind="flexible", options="", milestone="", owned=""):
        if (at := self._go(at)) is None:
            return self
        need_by = max(need_by, self.today())
        self.request = s.submit_request(
            requester=self.requester, requester_team=self.team, service=self.service, title=title, context=context,
            need_by=need_by, date_kind=date_kind, options=options, milestone=milestone,
            short_notice_owned=owned or self._owned(need_by, at), now=at)
        self.w.counted()
        return self

    def forecast(self, at, *, title, context, need_by, probability, confirm_by, date_kind="flexible", options="",
                 milestone=""):
        if (at := self._go(at)) is None:
            return self
        confirm_by = max(confirm_by, self.today())
        need_by = max(need_by, confirm_by)
        self.request = s.create_forecast(
            requester=self.requester, requester_team=self.team, service=self.service, title=title, context=context,
            need_by=need_by, date_kind=date_kind, options=options, milestone=milestone, probability=probability,
            confirm_by=confirm_by, now=at)
        self.w.counted()
        return self

    def confirm(self, at):
        if (at := self._go(at)) is not None and self.status == Status.FORECAST:
            s.confirm_forecast(self.request, by=self.requester, now=at,
                               short_notice_owned=self._owned(self.request.need_by, self.request.created_at))
        return self

    def withdraw(self, at, reason):
        if (at := self._go(at)) is not None:
            s.withdraw(self.request, by=self.requester, now=at, reason=reason)
        return self

    def acknowledge(self, at, by):
        if (at := self._go(at)) is not None and self.status == Status.SUBMITTED:
            s.acknowledge(self.request, by=by, now=at)
        return self

    def commit(self, at, by, date, note=""):
        if (at := self._go(at)) is not None and self.status in (Status.SUBMITTED, Status.ACKNOWLEDGED):
            s.commit_to_date(self.request, by=by, date=max(date, self.today()), now=at, note=note)
        return self

    def slip(self, at, by, new_date, reason):
        if (at := self._go(at)) is not None and self.status == Status.COMMITTED:
            new_date = max(new_date, self.today())
            if new_date == self.request.committed_date:
                new_date = _bday(self.service, new_date, 1)
            s.change_commitment(self.request, by=by, new_date=new_date, reason=reason, now=at)
        return self

    def decline(self, at, by, reason):
        if (at := self._go(at)) is not None:
            s.decline(self.request, by=by, reason=reason, now=at)
        return self

    def progress(self, at, by, text):
        if (at := self._go(at)) is not None:
            s.post_progress(self.request, by=by, text=text, now=at)
        return self

    def comment(self, at, by, text):
        if (at := self._go(at)) is not None:
            s.comment(self.request, by=by, text=text, now=at)
        return self

    def block(self, at, by, description, cleared_at=None, cleared_by=None, resolution=""):
        if (at := self._go(at)) is None:
            return self
        blocker = s.raise_blocker(self.request, by=by, description=description, now=at)
        if cleared_at is not None and (cleared_at := self._go(cleared_at)) is not None:
            s.clear_blocker(blocker, by=cleared_by or by, now=cleared_at, resolution=resolution)
        return self

    def warn_then_escalate(self, at, message, escalation):
        """Warn ('if this is not settled by ...'), then escalate the next working morning
        after the grace period — unless the request is delivered or closed by then."""
        if (at := self._go(at)) is None:
            return self
        warning = s.warn_before_escalating(self.request, by=self.requester, now=at, message=message)
        day = warning.deadline + timedelta(days=1)
        while str(day.isoweekday()) not in self.service.working_days:
            day += timedelta(days=1)
        when = self._go(_on(self.service, day, 10))
        if when is not None and self.status in (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.COMMITTED):
            s.escalate(self.request, by=self.requester, now=when, message=escalation)
        return self

    def deliver(self, at, by, note=""):
        if (at := self._go(at)) is not None and self.status in (Status.SUBMITTED, Status.ACKNOWLEDGED,
                                                                  Status.COMMITTED):
            s.deliver(self.request, by=by, now=at, note=note)
        return self

    def reopen(self, at, missing):
        if (at := self._go(at)) is not None and self.status == Status.DELIVERED:
            s.reopen(self.request, by=self.requester, missing=missing, now=at)
        return self

    def accept(self, at, quality, thanks="", impact=""):
        if (at := self._go(at)) is not None and self.status == Status.DELIVERED:
            s.accept(self.request, by=self.requester, quality=quality, thanks=thanks, impact=impact, now=at)
        return self
