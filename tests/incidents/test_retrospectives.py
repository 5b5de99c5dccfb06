"""When is the retrospective? Presumed, proposed within 10 business days with a facilitator from
the network, booked with an iCalendar invitation through the outbox, in the feeds, reminded once."""

import datetime as dt
from decimal import Decimal

import icalendar
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.agenda import services as agenda
from liaison.core.business_days import business_days_between
from liaison.core.sweeps import registered
from liaison.incidents import retrospectives, services
from liaison.incidents.models import Retrospective
from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending, set_preference
from liaison.requests import services as requests
from liaison.requests.models import Slip

from .conftest import DURING


def test_one_team_alone_gets_no_retrospective(story):
    incident = services.open_incident(by=story.mia, now=DURING, title="Our own slide deck broke",
                                      team=story.marketing)
    assert not Retrospective.objects.filter(incident=incident).exists()


def test_touching_another_team_presumes_one_within_10_business_days(story, incident):
    retro = incident.retrospective
    assert 0 < business_days_between(DURING.date(), retro.proposed_for) <= 10
    assert retro.facilitator == story.fiona  # outside both teams, strong ties into both
    for part in ("no blame", "timeline", "What worked", "What to change"):
        assert part.lower() in retro.agenda.lower()
    proposed = Notification.objects.filter(kind="incident.retrospective.proposed")
    assert set(proposed.values_list("recipient__email", flat=True)) == {"lars@corp.example", "carla@corp.example"}


def test_no_facilitator_from_inside_the_teams(story, incident):
    with pytest.raises(ValidationError) as exc:
        retrospectives.schedule(incident.retrospective, by=story.mia, at=DURING + dt.timedelta(days=2), now=DURING,
                                facilitator=story.nico)
    assert "facilitator" in exc.value.message_dict


@pytest.mark.parametrize(("delta", "field"), [(dt.timedelta(hours=-1), "scheduled_at"),
                                             (dt.timedelta(days=30), "scheduled_at")])
def test_booking_rules(story, incident, delta, field):
    with pytest.raises(ValidationError) as exc:
        retrospectives.schedule(incident.retrospective, by=story.mia, at=DURING + delta, now=DURING)
    assert field in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        retrospectives.schedule(incident.retrospective, by=story.olga, at=DURING + dt.timedelta(days=2), now=DURING)


def test_invitation_mail_carries_an_icalendar_request(story, incident, smtp_server):
    at = dt.datetime(2030, 3, 18, 14, 0, tzinfo=dt.UTC)
    retrospectives.schedule(incident.retrospective, by=story.mia, at=at, now=DURING, location="Room 4B")
    deliver_pending(DURING)
    invites = [m for m in smtp_server.messages if m["X-Liaison-Kind"] == "incident.retrospective.invitation"]
    assert sorted(m["To"] for m in invites) == ["carla@corp.example", "fiona@corp.example", "lars@corp.example"]
    part = next(p for p in invites[0].walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert str(cal["METHOD"]) == "REQUEST"
    vevent = next(iter(cal.walk("VEVENT")))
    for prop in ("UID", "DTSTAMP", "ORGANIZER", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"):
        assert prop in vevent, prop
    assert vevent.decoded("DTSTART") == at
    attendees = sorted(str(a) for a in vevent.get("ATTENDEE"))
    assert attendees == ["mailto:carla@corp.example", "mailto:fiona@corp.example", "mailto:lars@corp.example"]
    # moving it re-invites with the same UID and a higher SEQUENCE
    retrospectives.schedule(incident.retrospective, by=story.mia, at=at + dt.timedelta(days=1), now=DURING)
    deliver_pending(DURING)
    moved = [m for m in smtp_server.messages if m["X-Liaison-Kind"] == "incident.retrospective.invitation"][3:]
    cal2 = icalendar.Calendar.from_ical(next(p for p in moved[0].walk()
                                             if p.get_content_type() == "text/calendar").get_payload(decode=True))
    vevent2 = next(iter(cal2.walk("VEVENT")))
    assert vevent2["UID"] == vevent["UID"] and int(vevent2["SEQUENCE"]) == 1


def test_invitation_follows_the_digest_preference(story, incident, smtp_server):
    set_preference(story.lars, "incident.retrospective.invitation", "digest")
    retrospectives.schedule(incident.retrospective, by=story.mia, at=DURING + dt.timedelta(days=3), now=DURING)
    deliver_pending(DURING)
    invited = [m["To"] for m in smtp_server.messages if m["X-Liaison-Kind"] == "incident.retrospective.invitation"]
    assert sorted(invited) == ["carla@corp.example", "fiona@corp.example"]
    assert Notification.objects.get(recipient=story.lars, kind="incident.retrospective.invitation").state == "digest"


def test_booked_retrospective_is_in_the_team_feeds(story, incident, client):
    at = dt.datetime(2030, 3, 18, 14, 0, tzinfo=dt.UTC)
    retrospectives.schedule(incident.retrospective, by=story.mia, at=at, now=DURING)
    for team in (story.marketing, story.network):
        token = agenda.feed_token(by=team.lead, team=team)
        with time_machine.travel(DURING, tick=False):
            body = client.get(f"/agenda/feed/{token.key}.ics").content
        summaries = [str(v["SUMMARY"]) for v in icalendar.Calendar.from_ical(body).walk("VEVENT")]
        assert f"Retrospective: {incident.title}" in summaries
    outsiders = agenda.feed_token(by=story.olga, team=story.outsiders)
    with time_machine.travel(DURING, tick=False):
        body = client.get(f"/agenda/feed/{outsiders.key}.ics").content
    assert b"Retrospective" not in body


def test_unbooked_after_the_proposed_date_reminds_the_affected_leads_once(story, incident):
    retro = incident.retrospective
    sweep = registered()["incidents.retrospectives"]
    with time_machine.travel(dt.datetime.combine(retro.proposed_for, dt.time(18), tzinfo=dt.UTC), tick=False):
        assert sweep(dt.datetime.combine(retro.proposed_for, dt.time(18), tzinfo=dt.UTC)) == 0  # not passed yet
    later = dt.datetime.combine(retro.proposed_for + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    assert sweep(later) == 1
    assert sweep(later + dt.timedelta(hours=1)) == 0
    assert sweep(later + dt.timedelta(days=7)) == 0
    reminders = Notification.objects.filter(kind="incident.retrospective.reminder")
    assert list(reminders.values_list("recipient__email", flat=True)) == ["carla@corp.example"]
    retro.refresh_from_db()
    assert retro.reminded_at == later
    assert incident.entries.filter(kind="retro_reminded").count() == 1


def test_a_booked_retrospective_is_never_reminded(story, incident):
    retro = incident.retrospective
    retrospectives.schedule(retro, by=story.mia, at=DURING + dt.timedelta(days=2), now=DURING)
    later = dt.datetime.combine(retro.proposed_for + dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC)
    assert retrospectives.remind_unscheduled(later) == 0


def test_action_items_are_commitments_on_the_requests_machinery(story, incident):
    retro = incident.retrospective
    due = dt.date(2030, 4, 1)
    item = retrospectives.add_action_item(retro, by=story.mia, title="Publish changes 10 days ahead",
                                          owner=story.nico, due=due, now=DURING)
    request = item.request
    assert (request.requester_team, request.provider_team) == (story.marketing, story.network)
    assert request.status == "committed" and request.committed_date == due and request.provider_owner == story.nico
    assert retrospectives.action_state(item, DURING.date()) == ("Committed", "info")
    # reminders come from requests: the 3-day reminder before the committed date
    sent = requests.due_reminders(dt.datetime(2030, 3, 27, 8, 0, tzinfo=dt.UTC))
    assert sent >= 1 and Notification.objects.filter(recipient=story.nico, kind__startswith="request.reminder").exists()
    # a slip is a requests Slip, counted like any other
    with pytest.raises(PermissionDenied):
        retrospectives.slip_action_item(item, by=story.mia, new_date=dt.date(2030, 4, 8), reason="x", now=DURING)
    retrospectives.slip_action_item(item, by=story.nico, new_date=dt.date(2030, 4, 8), reason="Firmware vendor late",
                                    now=DURING)
    item.request.refresh_from_db()
    assert Slip.objects.filter(request=item.request).count() == 1
    assert retrospectives.action_state(item, DURING.date()) == ("Slipped", "warn")
    assert retrospectives.action_state(item, dt.date(2030, 4, 9)) == ("Overdue", "bad")


def test_action_item_owner_must_be_in_a_team_involved(story, incident):
    with pytest.raises(ValidationError) as exc:
        retrospectives.add_action_item(incident.retrospective, by=story.mia, title="x", owner=story.olga,
                                       due=dt.date(2030, 4, 1), now=DURING)
    assert "owner" in exc.value.message_dict


def test_severity_decimal_rounding(story, incident):
    services.log_impact(incident, by=story.mia, team=story.marketing, unit="labour_hours", amount="7.999",
                        what_happened="x", now=DURING)
    assert incident.impacts.get().amount == Decimal("8.00")
