"""Reminders: nobody chases by hand. Before a committed date (per service, default 3 and 1
business days), daily when overdue (provider reminded, requester told), confirm-by once.
The worker's sweep runs at the travelled time; running it again sends nothing new."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from liaison.core import sweeps
from liaison.notify.services import deliver_pending, set_preference
from liaison.requests import services
from liaison.requests.models import ServicePolicy
from tests.requests.conftest import NOW, days, make_forecast

H = dt.timedelta(hours=1)


def at(day, hour=8):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def sweep_on(day, hour=8):
    """Run our two registered sweeps at 08:00 UTC on `day`, as `liaison worker` would."""
    with time_machine.travel(at(day, hour), tick=False):
        sweeps.run_due({}, only={"requests.reminders"})
        sweeps.run_due({}, only={"notify.deliver"})
        return [(m.to[0].split("@")[0], m.subject) for m in mail.outbox]


@pytest.fixture
def due_friday(cast, submitted):
    """Committed on Monday 2 March for Friday 13 March."""
    services.commit_to_date(submitted, by=cast.pete, date=days(11), now=NOW + H)
    deliver_pending(NOW + 2 * H)
    mail.outbox.clear()
    return submitted


def reminders_between(start, end):
    sent, day = {}, start
    while day <= end:
        mail.outbox.clear()
        sent[day] = sweep_on(day)
        day += dt.timedelta(days=1)
    return sent


def test_sweeps_are_registered():
    assert {"requests.reminders", "notify.deliver"} <= set(sweeps.registered())


def test_provider_is_reminded_3_and_1_business_days_before(due_friday):
    sent = reminders_between(days(7), days(11))  # Mon 9 .. Fri 13 March
    due = {d: [s for who, s in msgs if "Due" in s] for d, msgs in sent.items()}
    assert due[days(8)] == ["[Database provisioning] Due in 3 business days (Fri 13 Mar): "
                            "Reporting database for the client go-live"]  # Tuesday
    assert due[days(10)] == ["[Database provisioning] Due in 1 business day (Fri 13 Mar): "
                             "Reporting database for the client go-live"]  # Thursday
    assert due[days(7)] == due[days(9)] == due[days(11)] == []
    assert {who for msgs in sent.values() for who, _ in msgs} == {"pete"}  # the owner


def test_running_the_sweep_twice_the_same_day_sends_once(due_friday):
    assert len(sweep_on(days(8))) == 1
    mail.outbox.clear()
    assert sweep_on(days(8), hour=15) == []


def test_reminder_days_are_per_service_and_can_be_off(cast, due_friday):
    ServicePolicy.objects.create(service=cast.service, reminder_days_before="5")
    sent = reminders_between(days(4), days(11))
    assert [d for d, msgs in sent.items() if msgs] == [days(4)]  # Fri 6 March = 5 business days before
    policy = ServicePolicy.objects.get(service=cast.service)
    policy.reminder_days_before = ""
    policy.save()
    due_friday.committed_date = due_friday.due_date = days(18)
    due_friday.save()
    assert not any(reminders_between(days(12), days(18)).values())


def test_a_slip_gets_its_own_reminders(cast, due_friday):
    assert sweep_on(days(8))  # the 3-day reminder for the 13th
    services.change_commitment(due_friday, by=cast.pete, new_date=days(15), reason="Storage late",
                               now=at(days(8), 10))
    mail.outbox.clear()
    sent = reminders_between(days(9), days(15))
    due = [(d, s) for d, msgs in sent.items() for _, s in msgs if "Due" in s]
    assert [d for d, _ in due] == [days(10), days(14)]  # Thu 12 (3 days before Tue 17), Mon 16 (1 day)


def test_overdue_daily_to_the_provider_and_a_notice_to_the_requester(due_friday):
    sent = reminders_between(days(12), days(16))  # Sat 14 .. Wed 18 March
    assert sent[days(12)] == sent[days(13)] == []  # weekend: nobody is chased on Saturday
    for day, n in [(days(14), 1), (days(15), 2), (days(16), 3)]:
        assert sorted(who for who, _ in sent[day]) == ["pete", "remy"]
        assert any(f"Overdue by {n} business day" in s for _, s in sent[day])
    mail.outbox.clear()
    assert sweep_on(days(16), hour=16) == []  # once a day


def test_overdue_reminders_can_be_turned_off_per_service(cast, due_friday):
    ServicePolicy.objects.create(service=cast.service, overdue_reminders=False)
    assert sweep_on(days(14)) == []


def test_a_person_can_turn_reminders_off(cast, due_friday):
    set_preference(cast.pete, "request.reminder", "off")
    assert sweep_on(days(8)) == []
    assert sorted(who for who, _ in sweep_on(days(14))) == ["remy"]


def test_reminders_go_to_the_lead_when_nobody_owns_the_request(cast, submitted):
    submitted.status, submitted.committed_date = "committed", days(3)
    submitted.save()
    deliver_pending(NOW + H)
    mail.outbox.clear()
    assert [who for who, _ in sweep_on(days(2))] == ["paula"]


def test_confirm_by_passing_reminds_the_requester_once(cast):
    make_forecast(cast, confirm_by=days(3))  # Thursday
    assert sweep_on(days(3)) == []  # on the day: still time
    sent = sweep_on(days(4))
    assert sent == [("remy", "[Database provisioning] Confirm or withdraw your heads-up: Second reporting database")]
    mail.outbox.clear()
    assert not any(reminders_between(days(5), days(10)).values())


def test_a_new_confirm_by_date_rearms_the_reminder(cast):
    f = make_forecast(cast, confirm_by=days(3))
    assert sweep_on(days(4))
    services.update_forecast(f, by=cast.remy, confirm_by=days(8), now=at(days(4), 10))
    mail.outbox.clear()
    sent = reminders_between(days(5), days(10))
    assert [d for d, msgs in sent.items() if msgs] == [days(9)]


def test_a_confirmed_forecast_is_not_reminded(cast):
    f = make_forecast(cast, confirm_by=days(3))
    services.confirm_forecast(f, by=cast.remy, now=at(days(2)))
    mail.outbox.clear()
    assert [s for _, s in sweep_on(days(4)) if "Confirm" in s] == []


def test_reminder_queries_do_not_grow_with_requests(cast, django_assert_max_num_queries, settings):
    settings.LIAISON_NOTIFY_DAILY_CAP = 0  # all 20 go to Remy at once here (tests/notify/test_caps.py: the cap)
    for i in range(20):
        f = make_forecast(cast, confirm_by=days(1), title=f"Forecast {i}")
        assert f.pk
    with django_assert_max_num_queries(8):
        services.send_reminders(at(days(2)))
    assert deliver_pending(at(days(2)))["sent"] == 20
