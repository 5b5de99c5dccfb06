import datetime as dt
import random

from liaison.agenda.demo import STORY_CHANGE, STORY_EVENT, build_agenda
from liaison.agenda.models import Change, Conflict, Event
from liaison.org import services as org
from tests.factories import PersonFactory


def test_build_agenda_makes_two_years_and_the_seed_002_story(db):
    lead = PersonFactory()
    teams = {name: org.create_team(name=name, lead=lead) for name in (
        "Network Group", "Collaboration Services", "Product Marketing", "Finance")}
    network = org.create_service(team=teams["Network Group"], name="Network upgrades & changes")
    video = org.create_service(team=teams["Collaboration Services"], name="Video conferencing & webinars",
                               depends_on=[network])
    events = org.create_service(team=teams["Product Marketing"], name="Customer events & webinars",
                                depends_on=[video])
    ledger = org.create_service(team=teams["Finance"], name="Ledger")
    services = {s.name: s for s in (network, video, events, ledger)}
    now = dt.datetime(2030, 6, 3, 12, tzinfo=dt.UTC)

    counts = build_agenda(random.Random(1), now, teams, services)

    assert counts["changes"] > 20 and counts["events"] > 3
    starts = Change.objects.order_by("start").values_list("start", flat=True)
    assert starts.first() < now - dt.timedelta(days=365) and starts.last() > now
    story = Conflict.objects.get(change__title=STORY_CHANGE, event__title=STORY_EVENT)
    assert story.path == ["Customer events & webinars", "Video conferencing & webinars", "Network upgrades & changes"]
    assert story.status == "open"
    upgrade = story.change
    assert upgrade.late_notice and upgrade.announced_at < now
    assert Event.objects.get(title=STORY_EVENT).audience == "100+ customer organisations"
    # the Network Group's short-notice habit shows in its history
    network_changes = Change.objects.filter(team=teams["Network Group"], notice_days__isnull=False)
    assert network_changes.exists() and all(c.late_notice for c in network_changes)
