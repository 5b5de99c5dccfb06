"""A request from submission to thanks, at the service level: each rule of the provider's
side and of delivery, quality and thanks."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.notify.models import Notification
from liaison.requests import services
from liaison.requests.models import EventKind, RequestEvent, Slip, Status, Thanks
from tests.requests.conftest import NOW, days, make_request

H = dt.timedelta(hours=1)


def kinds(request):
    return list(request.events.values_list("kind", flat=True))


def notified(kind):
    return set(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def test_submit_records_request_event_and_tells_the_provider_lead(cast):
    request = make_request(cast)
    assert request.status == Status.SUBMITTED
    assert request.provider_team == cast.platform and request.requester_team == cast.remote
    assert request.submitted_at == NOW and request.due_date == days(14)
    assert request.notice_business_days == 10 and not request.short_notice
    assert kinds(request) == [EventKind.CREATED]
    assert notified("request.submitted") == {"paula@corp.example"}


def test_short_notice_must_be_owned_and_the_provider_sees_the_sentence(cast):
    with pytest.raises(ValidationError) as e:
        make_request(cast, need_by=days(3))  # Thu: 3 business days < 5 lead time
    assert "short_notice_owned" in e.value.message_dict
    assert "3 business days" in e.value.message_dict["short_notice_owned"][0]
    owned = "I only learned of the client's date today; sorry for the short notice."
    request = make_request(cast, need_by=days(3), short_notice_owned=owned)
    assert request.short_notice and request.notice_business_days == 3 and request.short_notice_owned == owned
    assert owned in Notification.objects.get(kind="request.submitted").body


def test_notice_counts_the_services_business_days(cast):
    cast.service.working_days = "1234567"  # a seven-day service
    cast.service.save()
    request = make_request(cast, need_by=days(5))
    assert request.notice_business_days == 5 and not request.short_notice


def test_the_full_path_acknowledge_commit_progress_deliver_accept_thank(cast, submitted):
    r = services.acknowledge(submitted, by=cast.pete, now=NOW + 2 * H)
    assert r.status == Status.ACKNOWLEDGED and r.provider_owner == cast.pete
    assert r.acknowledged_at - r.submitted_at == 2 * H
    r = services.commit_to_date(r, by=cast.pete, date=days(10), now=NOW + 3 * H, note="Friday that week")
    assert r.status == Status.COMMITTED and r.committed_date == r.due_date == days(10)
    services.post_progress(r, by=cast.pete, text="Schema done, loading data", now=NOW + 24 * H)
    r = services.deliver(r, by=cast.pete, now=NOW + 48 * H, note="Credentials in the vault")
    assert r.status == Status.DELIVERED
    r = services.accept(r, by=cast.remy, quality=5, now=NOW + 50 * H)
    assert r.status == Status.ACCEPTED and r.quality == 5
    assert services.needs_thanks(r)
    services.thank(r, by=cast.remy, message="Thank you!", impact="The client went live on time.",
                   now=NOW + 51 * H)
    assert not services.needs_thanks(r)
    assert kinds(r) == ["created", "acknowledged", "committed", "progress", "delivered", "accepted", "thanked"]
    # thanks go to the people who delivered and their lead
    assert notified("request.thanks") == {"pete@corp.example", "paula@corp.example"}
    assert notified("request.delivered") == {"remy@corp.example"}


def test_accept_with_thanks_in_one_step(cast, committed):
    services.deliver(committed, by=cast.pete, now=NOW + 5 * H)
    services.accept(committed, by=cast.remy, quality=4, thanks="Great work", impact="Demo saved", now=NOW + 6 * H)
    assert Thanks.objects.get(request=committed).impact == "Demo saved"
    assert kinds(committed)[-2:] == ["accepted", "thanked"]


def test_commit_directly_also_acknowledges(cast, submitted):
    r = services.commit_to_date(submitted, by=cast.paula, date=days(9), now=NOW + H)
    assert r.acknowledged_at == NOW + H
    assert kinds(r) == ["created", "acknowledged", "committed"]


def test_a_changed_commitment_is_a_slip_with_reason_kept(cast, committed):
    with pytest.raises(ValidationError) as e:
        services.change_commitment(committed, by=cast.pete, new_date=days(15), reason=" ", now=NOW + 4 * H)
    assert "reason" in e.value.message_dict
    services.change_commitment(committed, by=cast.pete, new_date=days(15), reason="Storage arrives late",
                               now=NOW + 5 * H)
    services.change_commitment(committed, by=cast.paula, new_date=days(16), reason="Holiday", now=NOW + 6 * H)
    committed.refresh_from_db()
    assert committed.slip_count == 2 and committed.committed_date == committed.due_date == days(16)
    slips = list(Slip.objects.filter(request=committed).values_list("old_date", "new_date", "reason", "by__name"))
    assert slips == [(days(11), days(15), "Storage arrives late", "Pete Provider"),
                     (days(15), days(16), "Holiday", "Paula Lead")]
    event = committed.events.filter(kind=EventKind.SLIPPED).last()
    assert event.data["old_date"] == days(15).isoformat() and event.data["reason"] == "Holiday"
    assert event.actor == cast.paula and event.at == NOW + 6 * H


def test_committing_again_is_refused_and_points_to_the_slip(cast, committed):
    with pytest.raises(ValidationError) as e:
        services.commit_to_date(committed, by=cast.pete, date=days(12), now=NOW + 5 * H)
    assert "slip" in e.value.message_dict["status"][0]


def test_decline_needs_a_reason(cast, submitted):
    with pytest.raises(ValidationError) as e:
        services.decline(submitted, by=cast.pete, reason="", now=NOW + H)
    assert "reason" in e.value.message_dict
    r = services.decline(submitted, by=cast.pete, reason="Not our service: ask the data team", now=NOW + H)
    assert r.status == Status.DECLINED and r.decline_reason.startswith("Not our service")


def test_blockers_raised_and_cleared_by_either_side(cast, committed):
    b1 = services.raise_blocker(committed, by=cast.pete, description="Waiting for the schema from you",
                                now=NOW + 4 * H)
    b2 = services.raise_blocker(committed, by=cast.remy, description="Our VPN is down", now=NOW + 5 * H)
    committed.refresh_from_db()
    assert committed.open_blockers == 2
    assert notified("request.blocked") == {"remy@corp.example", "pete@corp.example"}
    services.clear_blocker(b1, by=cast.remy, resolution="Schema sent", now=NOW + 6 * H)
    committed.refresh_from_db()
    assert committed.open_blockers == 1
    with pytest.raises(ValidationError):
        services.clear_blocker(b1, by=cast.pete, now=NOW + 7 * H)
    services.clear_blocker(b2, by=cast.pete, now=NOW + 7 * H)
    committed.refresh_from_db()
    assert committed.open_blockers == 0
    assert kinds(committed)[-4:] == ["blocked", "blocked", "unblocked", "unblocked"]


def test_reopen_as_rework_says_what_is_missing(cast, committed):
    services.deliver(committed, by=cast.pete, now=NOW + 5 * H)
    with pytest.raises(ValidationError) as e:
        services.reopen(committed, by=cast.remy, missing="", now=NOW + 6 * H)
    assert "missing" in e.value.message_dict
    r = services.reopen(committed, by=cast.remy, missing="No read-only user", now=NOW + 6 * H)
    assert r.status == Status.COMMITTED and r.rework_count == 1 and r.delivered_at is None
    assert committed.events.last().data == {"missing": "No read-only user"}


@pytest.mark.parametrize("quality", [0, 6, "5", None, True])
def test_quality_is_1_to_5(cast, committed, quality):
    services.deliver(committed, by=cast.pete, now=NOW + 5 * H)
    before = RequestEvent.objects.count()
    with pytest.raises(ValidationError) as e:
        services.accept(committed, by=cast.remy, quality=quality, now=NOW + 6 * H)
    assert "quality" in e.value.message_dict
    committed.refresh_from_db()
    assert committed.status == Status.DELIVERED and RequestEvent.objects.count() == before


def test_comments_from_either_side_only(cast, submitted):
    services.comment(submitted, by=cast.remy, text="Any news?", now=NOW + H)
    services.comment(submitted, by=cast.pete, text="Tomorrow", now=NOW + 2 * H)
    assert kinds(submitted).count("commented") == 2
    with pytest.raises(PermissionDenied):
        services.comment(submitted, by=cast.olga, text="Hi", now=NOW + 3 * H)


PROVIDER_ACTIONS = [
    ("acknowledge", {}),
    ("commit_to_date", {"date": days(10)}),
    ("decline", {"reason": "No"}),
    ("post_progress", {"text": "Done soon"}),
    ("deliver", {}),
]


@pytest.mark.parametrize(("action", "kwargs"), PROVIDER_ACTIONS)
def test_only_the_provider_team_acts_as_provider(cast, submitted, action, kwargs):
    before = RequestEvent.objects.count()
    for person in (cast.remy, cast.rita, cast.olga):
        with pytest.raises(PermissionDenied, match="provider team"):
            getattr(services, action)(submitted, by=person, now=NOW + H, **kwargs)
    assert RequestEvent.objects.count() == before
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


REQUESTER_ACTIONS = [
    ("withdraw", {}),
    ("warn_before_escalating", {}),
    ("escalate", {"emergency_override": True, "justification": "Patient waiting"}),
]


@pytest.mark.parametrize(("action", "kwargs"), REQUESTER_ACTIONS)
def test_only_the_requesting_team_acts_as_requester(cast, submitted, action, kwargs):
    before = RequestEvent.objects.count()
    for person in (cast.pete, cast.paula, cast.olga):
        with pytest.raises(PermissionDenied, match="requesting team"):
            getattr(services, action)(submitted, by=person, now=NOW + H, **kwargs)
    assert RequestEvent.objects.count() == before


def test_requester_side_after_delivery_is_the_requesting_team(cast, committed):
    services.deliver(committed, by=cast.pete, now=NOW + 5 * H)
    with pytest.raises(PermissionDenied):
        services.accept(committed, by=cast.pete, quality=5, now=NOW + 6 * H)
    with pytest.raises(PermissionDenied):
        services.reopen(committed, by=cast.paula, missing="x", now=NOW + 6 * H)
    with pytest.raises(PermissionDenied):
        services.thank(committed, by=cast.pete, message="me", now=NOW + 6 * H)
    # any member of the requesting team may accept, not only the requester
    services.accept(committed, by=cast.rita, quality=3, now=NOW + 7 * H)
