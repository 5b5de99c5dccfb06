"""The demo enterprise's relationships: two years of interactions and meetings.

    build_network(rng, enterprise, now)     # the demo builder's step signature
    build_network(rng, now, enterprise)     # also accepted (either order)

- rng: a random.Random (the builder seeds one per step); every draw comes from it.
- enterprise: liaison.demo.enterprise.Enterprise after the org and catalogue steps:
  `enterprise.teams` (name -> Team) and `enterprise.people` (story key -> Person) are
  read; `enterprise.counts` gets interactions / ties / meetings / nudges.
- now: the demo's present (aware datetime); history runs from now - 730 days to now.

The seeds' stories (each skipped if its people are not in the plan):
- seed 000: the Remote Office — Singapore exchanges people with HQ Finance Operations
  (a three-month exchange each year, visits twice a year, monthly one-on-ones): strong
  ties both ways, bridges, and the quicker answers that follow;
- seed 003: Claims Operations' weekly sync with the Offshore Back-Office Partner: the
  partner attended during the start-up months when Claims staff trained them on site,
  then misses more and more — flagged on the pair and team pages;
- seed 001: Business Intelligence Services attends Commercial Banking's meetings but
  its lead has no tie with the division's head: the warm path goes through a Data
  Platform engineer who worked on a lending project;
- seed 004: the Emergency Department lead's homework with the In-patient Unit director,
  half done.
Around them, a light background of cross-team contact inside each department. Rows are
written in bulk and ties folded in memory with Tie.add, the same arithmetic as
log_interaction, so 50,000 people take seconds, not an hour.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from liaison.org.models import Membership, Team

from .models import (
    Attendance,
    HomeworkPlan,
    Interaction,
    InteractionParticipant,
    Kind,
    MeetingSeries,
    Occurrence,
    Tie,
)
from .services import send_nudges

DAYS = 730


class _Log:
    """Interactions to write in bulk, with their ties folded in memory."""

    def __init__(self, now):
        self.now = now
        self.rows = []  # (author_id, kind, day, [other ids])
        self.ties = {}

    def add(self, author, others, day, kind):
        others = [o for o in others if o and o != author]
        if not others or day > self.now.date():
            return
        self.rows.append((author, kind, day, others))
        for other in others:
            pair = (min(author, other), max(author, other))
            tie = self.ties.get(pair)
            if tie is None:
                tie = self.ties[pair] = Tie(person_low_id=pair[0], person_high_id=pair[1], as_of=day, first_on=day,
                                            last_on=day)
            tie.add(kind, day)

    def save(self):
        # Ties are folded in date order within each pair for exactness either way (Tie.add handles both).
        made = Interaction.objects.bulk_create(
            [Interaction(author_id=a, kind=k, occurred_on=d, created_at=self.now) for a, k, d, _ in self.rows],
            batch_size=5000)
        InteractionParticipant.objects.bulk_create(
            [InteractionParticipant(interaction_id=i.pk, person_id=o)
             for i, (_, _, _, others) in zip(made, self.rows, strict=True) for o in others], batch_size=5000)
        Tie.objects.bulk_create(list(self.ties.values()), batch_size=5000)
        return len(made), len(self.ties)


def _members(team):
    return list(Membership.objects.filter(team=team, person__is_active=True).values_list("person_id", flat=True))


def _day(now, days_ago):
    return (now - timedelta(days=days_ago)).date()


def enterprise_and_now(a, b):
    """(enterprise, now) from the two arguments after rng, in either order."""
    return (b, a) if isinstance(a, datetime) else (a, b)


def build_network(rng, a, b):
    enterprise, now = enterprise_and_now(a, b)
    log = _Log(now)
    teams, people = enterprise.teams, enterprise.people
    pid = {key: p.pk for key, p in people.items()}
    _background(rng, log, now)
    _remote_office(rng, log, now, teams, pid)
    _business_intelligence(rng, log, now, teams, pid)
    series = _offshore_meetings(rng, log, now, teams, pid)
    interactions, ties = log.save()
    plans = _homework(now, pid)
    nudges = send_nudges(now)
    enterprise.counts.update(interactions=interactions, ties=ties, meeting_series=series, homework_plans=plans,
                             nudges=nudges)


def _background(rng, log, now):
    """A few cross-team contacts per person, mostly inside their department."""
    team_of, members = {}, defaultdict(list)
    for person_id, team_id in Membership.objects.filter(person__is_active=True).values_list("person_id", "team_id"):
        team_of.setdefault(person_id, team_id)
        members[team_id].append(person_id)
    parents = dict(Team.objects.values_list("pk", "parent_id"))
    siblings = defaultdict(list)
    for team_id, parent_id in parents.items():
        siblings[parent_id].append(team_id)
    kinds = [Kind.MEETING] * 4 + [Kind.ONE_ON_ONE] * 2 + [Kind.INFORMAL, Kind.SHARED_PROJECT, Kind.THANKS]
    for person_id, team_id in team_of.items():
        near = [t for t in siblings[parents.get(team_id)] if t != team_id and members[t]]
        if not near:
            continue
        contacts = [rng.choice(members[rng.choice(near)]) for _ in range(rng.randint(1, 3))]
        for contact in contacts:
            for _ in range(rng.randint(1, 4)):
                log.add(person_id, [contact], _day(now, rng.randrange(DAYS)), rng.choice(kinds))


def _remote_office(rng, log, now, teams, pid):
    remote, hq = teams.get("Remote Office — Singapore"), teams.get("HQ Finance Operations")
    if remote is None or hq is None:
        return
    remote_people, hq_people = _members(remote), _members(hq)
    if not remote_people or not hq_people:
        return
    # One person each year goes to HQ for three months (and one comes the other way).
    for year in (0, 1):
        start = DAYS - 60 - 365 * year
        visitor, host = rng.choice(remote_people), rng.choice(hq_people)
        for week in range(12):
            log.add(visitor, rng.sample(hq_people, min(3, len(hq_people))), _day(now, start - 7 * week),
                    Kind.EXCHANGE if week == 0 else Kind.SHARED_PROJECT)
        log.add(host, rng.sample(remote_people, min(3, len(remote_people))), _day(now, start - 200), Kind.EXCHANGE)
    # Visits twice a year, monthly one-on-ones between paired people.
    pairs = list(zip(remote_people, rng.sample(hq_people, len(hq_people)), strict=False))
    for days_ago in range(0, DAYS, 182):
        log.add(pid.get("sg_lead") or remote_people[0], hq_people[:5], _day(now, days_ago + 20), Kind.VISIT)
    for days_ago in range(3, DAYS, 30):
        for a, b in pairs:
            if rng.random() < 0.7:
                log.add(a, [b], _day(now, days_ago + rng.randrange(5)), Kind.ONE_ON_ONE)
    if pid.get("remote_member") and pid.get("hq_finance_lead"):
        for days_ago in (2, 16, 33, 61):
            log.add(pid["remote_member"], [pid["hq_finance_lead"]], _day(now, days_ago), Kind.ONE_ON_ONE)


def _business_intelligence(rng, log, now, teams, pid):
    bi, platform = teams.get("Business Intelligence Services"), teams.get("Data Platform")
    lending = teams.get("Commercial Lending")
    if not (bi and platform and lending and pid.get("bi_lead") and pid.get("banking_head")):
        return
    engineer = (_members(platform) or [None])[0]
    lenders = _members(lending)
    if engineer is None or not lenders:
        return
    for days_ago in (4, 25, 47, 80):
        log.add(pid["bi_lead"], [engineer], _day(now, days_ago), Kind.ONE_ON_ONE)
    for days_ago in range(5, 120, 14):
        log.add(engineer, lenders[:2], _day(now, days_ago), Kind.SHARED_PROJECT)
    log.add(lenders[0], [pid["banking_head"]], _day(now, 9), Kind.ONE_ON_ONE)
    log.add(lenders[0], [pid["banking_head"]], _day(now, 30), Kind.ONE_ON_ONE)


def _offshore_meetings(rng, log, now, teams, pid):
    claims, offshore = teams.get("Claims Operations"), teams.get("Offshore Back-Office Partner")
    if claims is None or offshore is None:
        return 0
    claims_people, offshore_people = _members(claims), _members(offshore)
    series = MeetingSeries.objects.create(name="Claims weekly sync", owner_team=claims, miss_threshold=30,
                                          created_at=now - timedelta(days=DAYS))
    series.expected_teams.set([offshore])
    # Start-up: Claims staff on site training the partner for three months.
    for week in range(12):
        trainer = rng.choice(claims_people)
        log.add(trainer, rng.sample(offshore_people, min(4, len(offshore_people))),
                _day(now, DAYS - 30 - 7 * week), Kind.VISIT if week == 0 else Kind.SHARED_PROJECT)
    first_monday = (now - timedelta(days=DAYS)).replace(hour=9, minute=30, second=0, microsecond=0)
    first_monday -= timedelta(days=first_monday.weekday())
    occurrences, attendance = [], []
    start = first_monday
    while start < now + timedelta(days=28):
        occurrences.append(Occurrence(series=series, starts_at=start, ends_at=start + timedelta(minutes=45),
                                      recurrence_key=start.strftime("%Y%m%dT%H%M%SZ"), title=series.name,
                                      cancelled=rng.random() < 0.03))
        start += timedelta(days=7)
    Occurrence.objects.bulk_create(occurrences)
    for occurrence in occurrences:
        if occurrence.cancelled or occurrence.starts_at > now:
            continue
        age = (now - occurrence.starts_at).days
        # The partner came during the start-up; after the trainers went home, less and less.
        show = 0.95 if age > DAYS - 150 else 0.35 + 0.5 * age / DAYS
        for person in claims_people[:3]:
            attendance.append(Attendance(occurrence=occurrence, person_id=person, status="attended"))
        team_comes = rng.random() < show
        declined_ahead = rng.random() < 0.4  # when they do not come, they sometimes say so
        for n, person in enumerate(offshore_people[:3]):
            if team_comes:
                status = "attended" if n == 0 or rng.random() < 0.6 else "declined"
            else:
                status = "declined" if declined_ahead else "no_show"
            attendance.append(Attendance(occurrence=occurrence, person_id=person, status=status))
        if rng.random() < 0.5 and age < DAYS - 150:
            attendees = [a.person_id for a in attendance[-3:] if a.status == "attended"]
            if attendees and claims_people:
                log.add(claims_people[0], attendees, occurrence.starts_at.date(), Kind.MEETING)
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    return 1


def _homework(now, pid):
    if not (pid.get("ed_lead") and pid.get("inpatient_lead")):
        return 0
    plan = HomeworkPlan.objects.create(person_id=pid["ed_lead"], colleague_id=pid["inpatient_lead"],
                                       goal="Understand how the unit decides on bed transfers.",
                                       created_at=now - timedelta(days=20), reached_out_at=now - timedelta(days=12))
    return 1 if plan.pk else 0


def network_counts():
    """Interactions and ties as they stand: later demo steps add some (delivered requests and
    thanks feed the network), so the builder reads them again at the end."""
    return {"interactions": Interaction.objects.count(), "ties": Tie.objects.count()}
