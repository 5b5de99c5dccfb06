# ruff: noqa: RUF001 -- the typographic apostrophe is what the page shows
"""Lists that start from you: the agenda's lists open on the viewer's teams, the wider view
is one click away, and the choice is remembered (per list) on the next visit."""

import pytest

from liaison.agenda import services as agenda
from liaison.org import services as org
from tests.agenda.conftest import NOW, at
from tests.factories import PersonFactory


@pytest.fixture
def elsewhere(story):
    """An unrelated, more severe collision between two other teams."""
    boss = PersonFactory(name="Else Where", email="else@corp.example")
    ops = org.create_team(name="Far Ops", lead=boss)
    sales = org.create_team(name="Far Sales", lead=boss)
    billing = org.create_service(team=ops, name="Billing")
    agenda.create_event(team=sales, title="Quarter close", services=[billing], start=at(14, 9),
                        end=at(14, 17), by=boss, now=NOW, criticality="critical")
    return agenda.create_change(team=ops, title="Billing migration", services=[billing], start=at(14, 10),
                                end=at(14, 12), by=boss, now=NOW, risk="high", rollback_plan="Restore.", publish=True)


PAGES = [
    ("/agenda/conflicts/", "Core network upgrade", "Billing migration"),
    ("/agenda/changes/", "Core network upgrade", "Billing migration"),
    ("/agenda/events/", "Meet the architect", "Quarter close"),
    ("/agenda/", "Core network upgrade", "Billing migration"),
    ("/agenda/notice/", "Network Group", "Far Ops"),
]


@pytest.mark.parametrize(("url", "mine", "theirs"), PAGES)
def test_lists_open_on_my_teams_and_remember_the_wider_view(client, login, story, upgrade, elsewhere,
                                                            url, mine, theirs):
    client = login(story.lc)  # Carla, lead of Product Marketing
    first = client.get(url).content.decode()
    assert mine in first and theirs not in first
    assert "Showing your team’s" in first and "(Product Marketing)" in first
    assert "Show all you can see" in first
    wide = client.get(url, {"scope": "all"}).content.decode()
    assert mine in wide and theirs in wide and "Show only your team’s" in wide
    again = client.get(url).content.decode()  # remembered
    assert theirs in again
    client.get(url, {"scope": "mine"})
    assert theirs not in client.get(url).content.decode()


def test_the_choice_is_per_list(login, story, upgrade, elsewhere):
    client = login(story.lc)
    client.get("/agenda/conflicts/", {"scope": "all"})
    assert "Billing migration" not in client.get("/agenda/changes/").content.decode()
    assert "Billing migration" in client.get("/agenda/conflicts/").content.decode()


def test_someone_in_no_team_sees_everything_they_may_see_without_a_choice(login, story, upgrade, elsewhere, outsider):
    body = login(outsider).get("/agenda/conflicts/").content.decode()
    assert "Core network upgrade" in body and "Billing migration" in body and "Show all you can see" not in body


def test_the_wider_view_still_hides_what_i_may_not_see(login, story, upgrade, elsewhere):
    elsewhere.confidential = True
    elsewhere.save()
    body = login(story.lc).get("/agenda/changes/", {"scope": "all"}).content.decode()
    assert "Billing migration" not in body and "Core network upgrade" in body


def test_the_service_side_sees_the_collision_of_its_own_change(login, story, upgrade, elsewhere):
    body = login(story.engineer).get("/agenda/events/").content.decode()  # Nico, Network Group
    assert "Meet the architect" in body and "Quarter close" not in body
