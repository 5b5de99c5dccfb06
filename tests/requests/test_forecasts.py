"""Heads-up forecasts: create, change (kept in the history), confirm, withdraw; demand by week."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from liaison.notify.models import Notification
from liaison.requests import services
from liaison.requests.models import EventKind, RequestEvent, Status
from tests.requests.conftest import NOW, TODAY, days, make_forecast, make_request

H = dt.timedelta(hours=1)


def test_a_forecast_tells_nobody_yet_and_keeps_its_probability(cast):
    f = make_forecast(cast)
    assert f.status == Status.FORECAST and f.probability == 80 and f.confirm_by == days(7)
    assert f.events.get().data["forecast"] is True
    assert not Notification.objects.exists()


def test_changes_to_date_and_probability_are_kept_in_the_history(cast):
    f = make_forecast(cast)
    services.update_forecast(f, by=cast.remy, need_by=days(28), probability=60, reason="Client moved", now=NOW + H)
    services.update_forecast(f, by=cast.rita, probability=90, now=NOW + 2 * H)
    f.refresh_from_db()
    assert (f.need_by, f.due_date, f.probability) == (days(28), days(28), 90)
    changes = [e.data["changes"] for e in f.events.filter(kind=EventKind.FORECAST_CHANGED)]
    assert changes == [{"need_by": [days(21).isoformat(), days(28).isoformat()], "probability": [80, 60]},
                       {"probability": [60, 90]}]


def test_nothing_to_change_is_refused(cast):
    f = make_forecast(cast)
    with pytest.raises(ValidationError, match="Nothing to change"):
        services.update_forecast(f, by=cast.remy, probability=80, now=NOW + H)


def test_confirming_counts_notice_from_the_forecast(cast):
    f = make_forecast(cast, need_by=days(14))  # 10 business days of heads-up
    later = NOW + dt.timedelta(days=9)  # Wed 11 March: only 3 business days left
    r = services.confirm_forecast(f, by=cast.remy, now=later)
    assert r.status == Status.SUBMITTED and r.submitted_at == later
    assert r.notice_business_days == 10 and not r.short_notice
    assert Notification.objects.filter(kind="request.submitted", recipient=cast.paula).exists()


def test_confirming_a_short_forecast_still_needs_the_sentence(cast):
    f = make_forecast(cast, need_by=days(3), confirm_by=days(1))
    with pytest.raises(ValidationError) as e:
        services.confirm_forecast(f, by=cast.remy, now=NOW + H)
    assert "short_notice_owned" in e.value.message_dict
    r = services.confirm_forecast(f, by=cast.remy, now=NOW + H, short_notice_owned="We only just heard.")
    assert r.short_notice


def test_withdraw_a_forecast_or_an_open_request(cast):
    f = make_forecast(cast)
    services.withdraw(f, by=cast.remy, reason="Deal lost", now=NOW + H)
    assert f.status == Status.WITHDRAWN and f.events.last().data == {"reason": "Deal lost", "was_forecast": True}
    r = make_request(cast)
    services.withdraw(r, by=cast.remy, now=NOW + H)
    assert Notification.objects.filter(kind="request.withdrawn", recipient=cast.paula).exists()


def test_a_commitment_on_a_withdrawn_request_changes_nothing(cast):
    r = make_request(cast)
    services.withdraw(r, by=cast.remy, now=NOW + H)
    before = RequestEvent.objects.count()
    with pytest.raises(ValidationError) as e:
        services.commit_to_date(r, by=cast.pete, date=days(10), now=NOW + 2 * H)
    assert e.value.message_dict["status"] == [
        "Cannot commit to a date on a request that is withdrawn; this is possible only when it is "
        "submitted, acknowledged."]
    r.refresh_from_db()
    assert r.status == Status.WITHDRAWN and r.committed_date is None
    assert RequestEvent.objects.count() == before


def test_forecast_demand_by_week_next_to_confirmed_work(cast):
    make_forecast(cast, need_by=days(8), confirm_by=days(2), probability=80)   # week of 9 March
    make_forecast(cast, need_by=days(10), confirm_by=days(2), probability=50)  # same week
    make_forecast(cast, need_by=days(15), confirm_by=days(2), probability=30)  # week of 16 March
    make_request(cast, need_by=days(9))                                         # confirmed, week of 9 March
    withdrawn = make_forecast(cast, need_by=days(9), confirm_by=days(2))
    services.withdraw(withdrawn, by=cast.remy, now=NOW)
    rows = services.forecast_demand_by_week(cast.platform, now=NOW, weeks=4)
    assert [r["week"] for r in rows] == [TODAY + dt.timedelta(weeks=i) for i in range(4)]
    assert rows[1] == {"week": days(7), "forecast_count": 2, "forecast_load": 1.3, "confirmed_count": 1}
    assert rows[2] == {"week": days(14), "forecast_count": 1, "forecast_load": 0.3, "confirmed_count": 0}
    assert rows[0]["forecast_count"] == rows[3]["forecast_count"] == 0
    assert services.forecast_demand_by_week(cast.remote, now=NOW, weeks=4)[1]["forecast_count"] == 0


def test_forecast_demand_is_two_queries(cast, django_assert_num_queries):
    for i in range(5):
        make_forecast(cast, need_by=days(8 + i), confirm_by=days(2))
    with django_assert_num_queries(2):
        services.forecast_demand_by_week(cast.platform, now=NOW, weeks=8)
