"""Two offices that depend on each other (seed 000): HQ's platform team and a remote team."""

from datetime import UTC, date, datetime

import pytest

from liaison.network import services
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory
from tests.story import story

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def person(name, team, lead=False):
    someone = PersonFactory(name=name, email=f"{name.split()[0].lower()}@corp.example")
    MembershipFactory(person=someone, team=team)
    if lead:
        team.lead = someone
        team.save()
    return someone


@pytest.fixture
def world(db):
    """remote depends on hq (its service depends on HQ's). Ana and Bo in remote (Ana leads),
    Raj and Sue at hq (Raj leads), Carl in a third team, finance."""
    cast = story(
        people={"ana": "Ana Remote", "bo": "Bo Remote", "raj": "Raj Hq", "sue": "Sue Hq", "carl": "Carl Finance"},
        teams={"hq": ("HQ Platform", {"slug": "hq-platform", "lead": "raj", "members": ["raj", "sue"]}),
               "remote": ("Remote Office", {"slug": "remote-office", "lead": "ana", "members": ["ana", "bo"]}),
               "finance": ("Finance", {"members": ["carl"]})})
    hq, remote, finance = cast.hq, cast.remote, cast.finance
    ana, bo, raj, sue, carl = cast.ana, cast.bo, cast.raj, cast.sue, cast.carl
    platform = ServiceFactory(team=hq, name="Platform", slug="platform")
    intake = ServiceFactory(team=remote, name="Local intake", slug="local-intake")
    intake.depends_on.through.objects.create(service=intake, depends_on=platform)
    return {"hq": hq, "remote": remote, "finance": finance, "ana": ana, "bo": bo, "raj": raj, "sue": sue,
            "carl": carl}


@pytest.fixture
def meet():
    """meet(author, others, on, kind="one_on_one") logs an interaction through the service."""

    def _meet(author, others, on, kind="one_on_one", note="", now=NOW):
        return services.log_interaction(author, kind=kind, occurred_on=on, participants=list(others),
                                        note=note, now=now)

    return _meet
