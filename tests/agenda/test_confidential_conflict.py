"""Two confidential items of two teams collide: each side sees the conflict, with the other
side shown as "a confidential item of another team" and its times; outsiders see nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from liaison.agenda import services as agenda
from liaison.agenda.models import Conflict
from liaison.notify.models import Notification

from .conftest import NOW, at
from .test_api import bearer

pytestmark = pytest.mark.django_db
HIDDEN = "a confidential item of another team"


@pytest.fixture
def secret(story):
    event = story.event
    event.confidential = True
    event.title = "Secret acquisition briefing"
    event.save()
    change = agenda.create_change(
        team=story.network, title="Covert firewall swap", services=[story.corp_net], start=at(13, 8),
        end=at(13, 16), by=story.engineer, now=NOW, risk="high", confidential=True, publish=True)
    return change, Conflict.objects.get(change=change, event=event)


@pytest.mark.parametrize("who,mine,theirs", [("ls", "Covert firewall swap", "Secret acquisition briefing"),
                                              ("engineer", "Covert firewall swap", "Secret acquisition briefing"),
                                              ("lc", "Secret acquisition briefing", "Covert firewall swap"),
                                              ("marketer", "Secret acquisition briefing", "Covert firewall swap")])
def test_each_side_sees_the_conflict_with_the_other_item_masked(client, story, secret, who, mine, theirs):
    change, conflict = secret
    person = getattr(story, who)
    client.force_login(person)
    page = client.get(f"/agenda/conflicts/{conflict.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert mine in html and HIDDEN.capitalize() in html and theirs not in html
    assert client.get("/agenda/conflicts/?show=all").content.decode().count(HIDDEN) == 1
    body = client.get(f"/api/v1/agenda/conflicts/{conflict.pk}", **bearer(person)).json()
    assert HIDDEN in (body["change_title"], body["against"]) and theirs not in str(body)
    hidden = story.event if who in ("ls", "engineer") else change
    starts = {hidden.start.astimezone(ZoneInfo(zone)).isoformat() for zone in ("UTC", person.time_zone)}
    assert any(f'datetime="{start}"' in html for start in starts)  # the hidden item's times are on the page
    assert body["hidden_start"].startswith(hidden.start.strftime("%Y-%m-%dT%H:%M"))
    assert body["hidden_end"].startswith(hidden.end.strftime("%Y-%m-%dT%H:%M"))


def test_each_side_can_act_on_it(client, story, secret):
    _, conflict = secret
    r = client.post(f"/api/v1/agenda/conflicts/{conflict.pk}/ask-delay", {"text": "Please move it"},
                    content_type="application/json", **bearer(story.marketer))
    assert r.status_code == 200 and r.json()["status"] == "delay_asked"
    r = client.post(f"/api/v1/agenda/conflicts/{conflict.pk}/mitigate", {"text": "Standby link"},
                    content_type="application/json", **bearer(story.engineer))
    assert r.status_code == 200 and r.json()["resolution"] == "mitigated"


def test_org_admin_sees_it_and_an_outsider_does_not(client, story, secret, org_admin, outsider):
    _, conflict = secret
    client.force_login(org_admin)
    assert client.get(f"/agenda/conflicts/{conflict.pk}/").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/agenda/conflicts/{conflict.pk}/").status_code == 404
    assert client.get(f"/api/v1/agenda/conflicts/{conflict.pk}", **bearer(outsider)).status_code == 404
    assert HIDDEN not in client.get("/agenda/conflicts/?show=all").content.decode()


def test_each_lead_is_told_without_the_other_title(story, secret, django_capture_on_commit_callbacks):
    _, conflict = secret
    Notification.objects.all().delete()
    agenda.announce_conflict([conflict.pk], NOW + dt.timedelta(minutes=1))
    told = {n.recipient_id: n for n in Notification.objects.filter(kind="agenda.conflict")}
    assert set(told) == {story.ls.pk, story.lc.pk}
    assert "Secret acquisition" not in told[story.ls.pk].subject + told[story.ls.pk].body
    assert "Covert firewall" not in told[story.lc.pk].subject + told[story.lc.pk].body
    assert HIDDEN in told[story.ls.pk].subject and HIDDEN in told[story.lc.pk].subject


def test_an_outsider_who_sees_only_the_public_side_does_not_see_the_conflict(client, story, outsider):
    change = agenda.create_change(team=story.network, title="Secret", services=[story.corp_net], start=at(13, 9),
                                  end=at(13, 10), by=story.engineer, now=NOW, confidential=True, publish=True)
    conflict = Conflict.objects.get(change=change)
    assert client.get(f"/api/v1/agenda/conflicts/{conflict.pk}", **bearer(outsider)).status_code == 404
    body = client.get(f"/api/v1/agenda/conflicts/{conflict.pk}", **bearer(story.marketer)).json()
    assert body["change_title"] == HIDDEN and body["against"] == "Meet the architect"
