"""Demo agendas: two years of planned changes and customer events, the seed 002 story included.

The demo builder calls `build_agenda(rng, now, teams_by_name, services_by_name)` after it
has made the org chart and the service catalogue. Rows are bulk-inserted (thousands of
items in a second), then one full conflict scan finds the conflicts, as the periodic
sweep would, without notifying anyone.

Seed 002: the Network Group publishes a high-risk network upgrade on the morning of
Product Marketing's "Meet the architect" event for 100+ customer organisations, which
runs on the webinar platform, which runs on the network. The Network Group's history
shows short notice as a habit, which is what the notice pages are for.
"""

import uuid
from datetime import UTC, datetime, time, timedelta

from django.conf import settings

from liaison.core.business_days import add_business_days

from . import conflicts
from .models import Change, Event, FreezeWindow, MaintenanceWindow

STORY_EVENT = "Meet the architect"
STORY_CHANGE = "Core network upgrade"
NETWORK_SERVICE = "Network upgrades & changes"
WEBINAR_SERVICE = "Video conferencing & webinars"
EVENT_SERVICE = "Customer events & webinars"

CHANGE_TITLES = ["Firmware upgrade", "Certificate rotation", "Database minor version upgrade", "OS patching",
                 "Storage migration", "Load balancer reconfiguration", "Capacity expansion", "Schema migration",
                 "Single sign-on configuration change", "Backup system replacement", "Monitoring agent rollout",
                 "DNS record clean-up", "Release {n}", "Security hardening", "Data centre power maintenance"]
EVENT_TITLES = ["Quarter close", "Product launch", "Board meeting", "Customer webinar", "Trade show demo",
                "Payroll run", "Annual audit fieldwork", "Sales kickoff", "Partner summit", "Release freeze rehearsal",
                "Customer training", "Investor day"]
AUDIENCES = ["Internal", "All staff", "Executive team", "20 key accounts", "Partners", "Press and analysts",
             "100+ customer organisations"]
HABITUAL_NOTICE = {"Network Group": (1, 7)}  # (min, max) business days: the story's short-notice habit


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _weekday_on_or_after(day):
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def build_agenda(rng, now, teams_by_name, services_by_name):
    """Create two years of agenda (18 months past, 6 ahead) and the seed 002 story. Returns counts."""
    services = list(services_by_name.values())
    by_team = {}
    for service in services:
        by_team.setdefault(service.team_id, []).append(service)
    teams = list(teams_by_name.values())
    providers = [t for t in teams if t.pk in by_team]
    first_day = (now - timedelta(days=548)).date()
    days = 730
    minimum = settings.LIAISON_MIN_CHANGE_NOTICE_DAYS

    changes, change_links = [], []
    for team in providers:
        low, high = HABITUAL_NOTICE.get(team.name, rng.choice([(3, 15), (8, 25), (10, 30), (5, 20)]))
        for _ in range(rng.randint(12, 36)):
            day = _weekday_on_or_after(first_day + timedelta(days=rng.randrange(days)))
            start = _at(day, rng.choice([5, 6, 7, 18, 20, 22]), rng.choice([0, 30]))
            end = start + timedelta(hours=rng.choice([1, 2, 2, 3, 4, 6]))
            notice = rng.randint(low, high)
            announced = _at(add_business_days(day, -notice), rng.randint(8, 17))
            if announced > now:  # not yet announced: a draft
                status, announced, notice_days = Change.Status.DRAFT, None, None
            else:
                status = Change.Status.DONE if end < now else Change.Status.PUBLISHED
                notice_days = notice
                if rng.random() < 0.05:
                    status = Change.Status.CANCELLED
            title = rng.choice(CHANGE_TITLES).format(n=rng.randint(10, 99))
            changes.append(Change(team=team, title=title, start=start, end=end, time_zone="UTC",
                                  risk=rng.choice(["low", "medium", "medium", "high"]), status=status,
                                  announced_at=announced, notice_from=announced, notice_days=notice_days,
                                  rollback_plan="Roll back to the previous version; tested in staging.",
                                  uid=uuid.UUID(int=rng.getrandbits(128))))
            change_links.append(rng.sample(by_team[team.pk], min(len(by_team[team.pk]), rng.choice([1, 1, 2]))))

    events, event_links = [], []
    customers = [t for t in teams if t.lead_id] or teams
    for team in rng.sample(customers, min(len(customers), max(3, len(customers) // 2))):
        others = [s for s in services if s.team_id != team.pk] or services
        for _ in range(rng.randint(4, 16)):
            day = _weekday_on_or_after(first_day + timedelta(days=rng.randrange(days)))
            start = _at(day, rng.choice([9, 10, 13, 14, 15]))
            events.append(Event(team=team, title=rng.choice(EVENT_TITLES), start=start,
                                end=start + timedelta(hours=rng.choice([1, 2, 3, 4, 8])),
                                criticality=rng.choice(["low", "medium", "high", "critical"]),
                                audience=rng.choice(AUDIENCES), buffer_hours=rng.choice([0, 4, 24, 48]),
                                uid=uuid.UUID(int=rng.getrandbits(128))))
            event_links.append(rng.sample(others, min(len(others), rng.choice([1, 2]))))

    story = _story(now, teams_by_name, services_by_name, minimum)
    for kind, item, links in story:
        (changes if kind == "change" else events).append(item)
        (change_links if kind == "change" else event_links).append(links)

    for event in events:
        event.guard_start = event.start - timedelta(hours=event.buffer_hours)
    Change.objects.bulk_create(changes, batch_size=2000)
    Event.objects.bulk_create(events, batch_size=2000)
    Change.services.through.objects.bulk_create(
        [Change.services.through(change_id=c.pk, service_id=s.pk) for c, links in zip(changes, change_links,
                                                                                     strict=True) for s in links],
        batch_size=5000)
    Event.services.through.objects.bulk_create(
        [Event.services.through(event_id=e.pk, service_id=s.pk) for e, links in zip(events, event_links,
                                                                                   strict=True) for s in links],
        batch_size=5000)

    freezes = []
    quarter_end = datetime(first_day.year, 3, 31, tzinfo=UTC)
    while quarter_end.date() < first_day + timedelta(days=days):
        if quarter_end.date() >= first_day:
            freezes.append(FreezeWindow(title=f"Quarter close {quarter_end:%Y-%m}", org_wide=True,
                                        reason="Finance closes the books: no changes.",
                                        start=quarter_end - timedelta(days=2), end=quarter_end + timedelta(days=2)))
        month = quarter_end.month + 3
        year = quarter_end.year + (month > 12)
        month = month - 12 if month > 12 else month
        last = 31 if month in (3, 12) else 30
        quarter_end = datetime(year, month, last, tzinfo=UTC)
    FreezeWindow.objects.bulk_create(freezes)

    windows = []
    for service in services:
        if rng.random() < 0.4:
            windows.append(MaintenanceWindow(service=service, weekday=rng.choice([2, 4]), start_time=time(5),
                                             end_time=time(8), time_zone=service.time_zone))
    network = services_by_name.get(NETWORK_SERVICE)
    if network is not None:
        windows += [MaintenanceWindow(service=network, weekday=d, start_time=time(5), end_time=time(8),
                                      time_zone=network.time_zone) for d in (2, 4) if not any(
                                          w.service is network and w.weekday == d for w in windows)]
    MaintenanceWindow.objects.bulk_create(windows)

    scan = conflicts.full_scan(now, notify=False)
    return {"changes": len(changes), "events": len(events), "freeze windows": len(freezes),
            "maintenance windows": len(windows), "conflicts": scan["created"]}


def _story(now, teams_by_name, services_by_name, minimum):
    """Seed 002's items, if the catalogue has the story's teams and services."""
    network_team, marketing = teams_by_name.get("Network Group"), teams_by_name.get("Product Marketing")
    network = services_by_name.get(NETWORK_SERVICE)
    needs = [s for s in (services_by_name.get(EVENT_SERVICE), services_by_name.get(WEBINAR_SERVICE)) if s]
    if not (network_team and marketing and network and needs):
        return []
    day = _weekday_on_or_after((now + timedelta(days=9)).date())
    event_start = _at(day, 15)
    event = Event(team=marketing, title=STORY_EVENT, start=event_start, end=event_start + timedelta(hours=3),
                  criticality=Event.Criticality.CRITICAL, audience="100+ customer organisations", buffer_hours=48,
                  description=("A virtual session where the product architecture team presents its vision for "
                               "the next three years to customers of existing products; re-runs follow."),
                  uid=uuid.uuid5(uuid.NAMESPACE_URL, "liaison-demo/seed-002/event"))
    announced = now - timedelta(days=1)
    change_start = _at(day, 8)
    upgrade = Change(team=network_team, title=STORY_CHANGE, start=change_start, end=_at(day, 11),
                     time_zone="UTC", risk=Change.Risk.HIGH, status=Change.Status.PUBLISHED,
                     description="Core router firmware upgrade across both data centres.",
                     rollback_plan="Reload the previous firmware image; about 30 minutes per site.",
                     announced_at=announced, notice_from=announced,
                     uid=uuid.uuid5(uuid.NAMESPACE_URL, "liaison-demo/seed-002/change"))
    from .services import notice_days

    upgrade.notice_days = notice_days(announced, change_start)
    return [("event", event, needs[:1]), ("change", upgrade, [network])]
