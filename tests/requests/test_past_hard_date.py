"""A commitment moved past a *hard* need-by date tells both sides at once (requester and
their lead, the provider's lead), with what changed; a slip that stays in time, or past a
flexible date, tells the requester as before."""

import datetime as dt

from liaison.notify.models import Notification
from liaison.requests import services
from tests.requests.conftest import NOW, days, make_request


def _queued(kind):
    return {n.recipient.email: n for n in Notification.objects.filter(kind=kind).select_related("recipient")}


def test_moving_past_a_hard_date_tells_both_sides_together(cast, committed):
    # Committed for days(11), hard need-by days(14); Pete moves it to days(16).
    services.change_commitment(committed, by=cast.pete, new_date=days(16), reason="Storage arrives late",
                               now=NOW + dt.timedelta(days=1))
    told = _queued("request.slipped.past_hard_date")
    assert set(told) == {"remy@corp.example", "rita@corp.example", "paula@corp.example"}  # not Pete, who did it
    assert len({n.created_at for n in told.values()}) == 1  # one moment: both sides in the same sweep
    remy = told["remy@corp.example"]
    assert remy.subject == "[Database provisioning] Past the hard date 16 Mar: now Wed 18 Mar: " + committed.title
    assert "moved the commitment to Wed 18 Mar 2026 (was Fri 13 Mar, in time)" in remy.body
    assert "the hard need-by date is Mon 16 Mar 2026" in remy.body and "Storage arrives late" in remy.body
    # Filed under each recipient's own side in the app.
    assert remy.team_id == cast.remote.pk and told["rita@corp.example"].team_id == cast.remote.pk
    assert told["paula@corp.example"].team_id == cast.platform.pk
    assert not Notification.objects.filter(kind="request.slipped").exists()


def test_a_slip_that_stays_in_time_tells_the_requester_only(cast, committed):
    services.change_commitment(committed, by=cast.pete, new_date=days(13), reason="Two days later",
                               now=NOW + dt.timedelta(days=1))
    assert set(_queued("request.slipped")) == {"remy@corp.example"}
    assert not Notification.objects.filter(kind="request.slipped.past_hard_date").exists()


def test_past_a_flexible_date_is_an_ordinary_slip(cast):
    request = make_request(cast, date_kind="flexible", title="Flexible one")
    services.commit_to_date(request, by=cast.pete, date=days(11), now=NOW + dt.timedelta(hours=3))
    services.change_commitment(request, by=cast.pete, new_date=days(20), reason="Later", now=NOW + dt.timedelta(days=1))
    assert set(_queued("request.slipped")) == {"remy@corp.example"}
    assert not Notification.objects.filter(kind="request.slipped.past_hard_date").exists()
