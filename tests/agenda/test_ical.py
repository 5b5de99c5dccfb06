"""The feeds, read back with vobject, a calendar library Liaison itself does not use."""

import datetime as dt

import pytest
import time_machine
import vobject
from django.urls import reverse

from liaison.agenda import services as agenda
from liaison.agenda.models import FeedToken

from .conftest import NOW, at


def _read(client, token):
    response = client.get(reverse("agenda:feed", args=[token.key]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = vobject.readOne(response.content.decode())
    return {str(v.summary.value): v for v in cal.contents.get("vevent", [])}


@time_machine.travel(NOW, tick=False)
def test_team_feed_uid_sequence_and_cancellation(client, story, upgrade):
    token = agenda.feed_token(by=story.marketer, team=story.marketing)
    events = _read(client, token)  # no sign-in: the key is the credential
    change = events["Change: Core network upgrade (Network Group)"]
    event = events["Meet the architect (Product Marketing)"]
    uid = change.uid.value
    assert uid.startswith(str(upgrade.uid))
    assert change.dtstart.value == at(13, 8) and change.dtend.value == at(13, 11)
    assert change.sequence.value == "0" and change.status.value == "CONFIRMED"
    assert "Rollback plan" in change.description.value
    assert event.dtstart.value.utcoffset() == dt.timedelta(0)

    agenda.reschedule_change(upgrade, start=at(20, 8), end=at(20, 11), by=story.engineer, now=NOW)
    change = _read(client, token)["Change: Core network upgrade (Network Group)"]
    assert change.uid.value == uid and change.sequence.value == "1"
    assert change.dtstart.value == at(20, 8)

    agenda.cancel_change(upgrade, by=story.engineer, now=NOW)
    change = _read(client, token)["Change: Core network upgrade (Network Group)"]
    assert change.uid.value == uid and change.status.value == "CANCELLED" and change.sequence.value == "2"


@time_machine.travel(NOW, tick=False)
def test_person_feed_respects_confidentiality(client, story, outsider):
    agenda.create_change(team=story.network, title="Secret", services=[story.corp_net], start=at(13, 9),
                         end=at(13, 10), by=story.engineer, now=NOW, confidential=True)
    mine = _read(client, agenda.feed_token(by=story.engineer))
    assert "Change: Secret (Network Group)" in mine
    theirs = _read(client, agenda.feed_token(by=story.marketer))
    assert "Change: Secret (Network Group)" not in theirs
    assert "Meet the architect (Product Marketing)" in theirs
    assert _read(client, agenda.feed_token(by=outsider)) == {}


def test_unknown_or_rotated_key_is_404(client, story):
    token = agenda.feed_token(by=story.marketer)
    old = token.key
    agenda.rotate_feed_token(token, by=story.marketer, now=NOW)
    assert client.get(reverse("agenda:feed", args=[old])).status_code == 404
    assert client.get(reverse("agenda:feed", args=["x" * 43])).status_code == 404
    assert len(token.key) >= 43  # 256 bits, unguessable


def test_only_members_get_a_team_feed(story, outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        agenda.feed_token(by=outsider, team=story.marketing)
    assert not FeedToken.objects.filter(team=story.marketing).exists()


@time_machine.travel(NOW, tick=False)
def test_window_across_dst_in_the_feed(client, story):
    agenda.create_change(team=story.network, title="Night work", services=[story.corp_net],
                         start=dt.datetime(2030, 3, 31, 1, 0), end=dt.datetime(2030, 3, 31, 4, 0),
                         time_zone="Europe/Paris", by=story.engineer, now=NOW)
    vevent = _read(client, agenda.feed_token(by=story.engineer))["Change: Night work (Network Group)"]
    assert vevent.dtend.value - vevent.dtstart.value == dt.timedelta(hours=2)
    assert vevent.dtstart.value == dt.datetime(2030, 3, 31, 0, 0, tzinfo=dt.UTC)
