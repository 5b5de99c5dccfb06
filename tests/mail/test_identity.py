"""Which message is which, who gets the answer, and who is told.

* A duplicate is the same Message-ID *and* the same content; another message reusing a
  Message-ID is kept and flagged (one at a time and within one batch); the copies an MTA
  delivers per recipient (different Delivered-To) are still one message.
* A Reply-To that differs from From is recorded and shown; Liaison's mail goes to the
  directory address only (checked on the wire, against a real SMTP server).
* One mail to two services' intake addresses files one request per service, linked, and
  each team's lead is told — on the one-message path and the batched one alike.
"""

import pytest

from liaison.mail.ingest import ingest, ingest_many
from liaison.mail.models import Disposition, InboundMessage
from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending
from liaison.requests.models import Request
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory
from tests.mail.conftest import NOW, message

MID = "<report-template-1@tool.corp.example>"


# --- Message-ID ---------------------------------------------------------------------------------

def test_the_same_message_twice_is_one_duplicate(requester, service):
    raw = message(msgid=MID)
    first, again = ingest(raw, now=NOW), ingest(raw, now=NOW)
    assert again.duplicate and again.message_id == first.message_id
    assert Request.objects.count() == 1 and InboundMessage.objects.get().duplicates == 1


def test_a_reused_message_id_with_other_content_is_kept_and_flagged(requester, service):
    first = ingest(message(msgid=MID, subject="First report", body="one"), now=NOW)
    second = ingest(message(msgid=MID, subject="Second report", body="two"), now=NOW)
    assert not second.duplicate and second.disposition == Disposition.REQUEST
    assert sorted(Request.objects.values_list("title", flat=True)) == ["First report", "Second report"]
    rows = {r.pk: r for r in InboundMessage.objects.all()}
    assert not rows[first.message_id].message_id_reused and rows[second.message_id].message_id_reused
    assert "was used before by a different message" in rows[second.message_id].warnings[0]


def test_a_reused_message_id_inside_one_batch_is_kept_and_flagged(requester, service):
    outcomes = ingest_many([message(msgid=MID, subject="A", body="a"), message(msgid=MID, subject="B", body="b"),
                            message(msgid=MID, subject="A", body="a")], now=NOW)
    assert [o.disposition for o in outcomes] == ["request", "request", "duplicate"]
    assert list(InboundMessage.objects.order_by("id").values_list("message_id_reused", "duplicates")) == [
        (False, 1), (True, 0)]


def test_per_recipient_copies_of_one_message_are_one_message(requester, service):
    raw = message(msgid=MID)
    copies = [raw.replace(b"From: ", f"Delivered-To: {to}\n".encode() + b"From: ", 1)
              for to in ("databases@liaison.example", "archive@liaison.example")]
    assert [ingest(c, now=NOW).duplicate for c in copies] == [False, True]
    assert Request.objects.count() == 1


# --- Reply-To --------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_reply_to_outside_the_directory_is_flagged_and_never_written_to(requester, service, smtp_server):
    outcome = ingest(message(headers={"Reply-To": "Rita <collect@evil.example>"}), now=NOW)
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert outcome.disposition == Disposition.REQUEST
    assert row.reply_to == "collect@evil.example"
    assert row.warnings == ["Reply-To (collect@evil.example) differs from From (rita@corp.example): Liaison "
                            "answers only the sender's directory address."]
    deliver_pending(NOW)
    to = sorted(m["To"] for m in smtp_server.messages)
    assert to == ["lena@corp.example", "rita@corp.example"]  # the confirmation went to the directory address
    assert not any("evil.example" in m.as_string() for m in smtp_server.messages)


def test_a_reply_to_equal_to_from_is_no_warning(requester, service):
    outcome = ingest(message(headers={"Reply-To": "rita@corp.example"}), now=NOW)
    assert InboundMessage.objects.get(pk=outcome.message_id).warnings == []


def test_a_reply_to_on_mail_that_waits_in_triage_is_recorded_too(service):
    outcome = ingest(message(sender="stranger@else.example", headers={"Reply-To": "other@else.example"}), now=NOW)
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert row.disposition == Disposition.TRIAGE and row.reply_to == "other@else.example"


# --- one mail, two services ---------------------------------------------------------------------------

@pytest.fixture
def network(db):
    lead = PersonFactory(name="Nick Network", email="nick@corp.example")
    team = TeamFactory(name="Networking", slug="networking", lead=lead)
    MembershipFactory(person=lead, team=team)
    return ServiceFactory(team=team, name="Firewall", slug="firewall", lead_time_days=3)


def _check_two_requests(outcome, service, network, exclude=None, all_confirmations_name_both=True):
    requests_ = {r.service_id: r for r in Request.objects.exclude(title=exclude)}
    assert set(requests_) == {service.pk, network.pk}
    assert outcome.request_id == requests_[service.pk].pk  # the first address's request is the row's
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert set(row.filed_requests.values_list("pk", flat=True)) == {r.pk for r in requests_.values()}
    told = set(Notification.objects.filter(kind="request.submitted").values_list("recipient__email", flat=True))
    assert told == {"lena@corp.example", "nick@corp.example"}  # each team's lead
    confirmations = Notification.objects.filter(kind="mail.confirmation", recipient__email="rita@corp.example")
    assert confirmations.count() == 2
    named = ["each got a request of its own" in c.body for c in confirmations]
    assert all(named) if all_confirmations_name_both else named.count(True) == 1
    return requests_


def test_one_mail_to_two_services_files_one_request_each_linked(requester, service, network):
    outcome = ingest(message(to="databases@liaison.example", headers={"Cc": "firewall@liaison.example"}), now=NOW)
    _check_two_requests(outcome, service, network)


def test_one_mail_to_two_services_in_a_batch_files_one_request_each(requester, service, network):
    other = PersonFactory(name="Otto Other", email="otto@corp.example")
    MembershipFactory(person=other, team=requester.memberships.first().team)
    outcomes = ingest_many([message(sender="otto@corp.example", subject="alone", body="x"),
                            message(to="databases@liaison.example, firewall@liaison.example")], now=NOW)
    assert [o.disposition for o in outcomes] == ["request", "request"]
    _check_two_requests(outcomes[1], service, network, exclude="alone")


def test_a_bcc_to_a_second_service_files_its_request_from_its_own_copy(requester, service, network):
    """The MTA delivers one copy per recipient; only the Bcc'd service's copy names it (Delivered-To)."""
    raw = message(to="databases@liaison.example", msgid=MID)
    copies = [raw.replace(b"From: ", f"Delivered-To: {to}\n".encode() + b"From: ", 1)
              for to in ("databases@liaison.example", "firewall@liaison.example")]
    first, second = ingest(copies[0], now=NOW), ingest(copies[1], now=NOW)
    assert second.duplicate and second.message_id == first.message_id
    assert "Filed with Firewall" in second.reason
    _check_two_requests(first, service, network, all_confirmations_name_both=False)  # the first went alone
    assert ingest(copies[1], now=NOW).duplicate and Request.objects.count() == 2  # its retry files nothing more


# --- where people see it --------------------------------------------------------------------------------

def test_the_request_page_shows_the_reply_to_and_the_linked_requests(login, requester, service, network, outsider):
    outcome = ingest(message(to="databases@liaison.example, firewall@liaison.example",
                             headers={"Reply-To": "collect@evil.example"}), now=NOW)
    ours, theirs = Request.objects.get(service=service), Request.objects.get(service=network)
    assert outcome.request_id == ours.pk
    page = login(requester).get(ours.get_absolute_url())  # the requester may open both requests
    assert page.status_code == 200
    assert "Reply-To (collect@evil.example) differs from From (rita@corp.example)" in page.text
    assert f'href="{theirs.get_absolute_url()}"' in page.text and "each got a request of its own" in page.text
    page = login(service.team.lead).get(ours.get_absolute_url())  # the databases lead cannot open the other
    assert "each got a request of its own (1 you cannot open)" in page.text
    assert f'href="{theirs.get_absolute_url()}"' not in page.text
    assert login(outsider).get(ours.get_absolute_url()).status_code == 404


def test_a_request_filed_normally_shows_no_mail_notice(login, requester, service):
    request = Request.objects.get(pk=ingest(message(), now=NOW).request_id)
    page = login(requester).get(request.get_absolute_url())
    assert "From mail:" not in page.text and "each got a request of its own" not in page.text


def test_triage_shows_the_reply_to_and_a_reused_message_id(login, service, outsider):
    ingest(message(sender="stranger@else.example", msgid=MID, subject="first", body="1"), now=NOW)
    outcome = ingest(message(sender="stranger@else.example", msgid=MID, subject="second", body="2",
                             headers={"Reply-To": "other@else.example"}), now=NOW)
    client = login(service.team.lead)
    listing = client.get("/mail/triage/")
    assert "Reply-To differs: other@else.example" in listing.text and "Message-ID reused" in listing.text
    item = client.get(f"/mail/triage/{outcome.message_id}/")
    assert "Reply-To (other@else.example) differs" in item.text
    assert "was used before by a different message" in item.text
    assert "other@else.example" not in login(outsider).get("/mail/triage/").text
