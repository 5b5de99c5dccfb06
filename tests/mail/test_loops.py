"""Never a loop, never a duplicate: automatic mail is recorded and ignored; rate limits;
two Liaison instances, and Liaison against a plain auto-responder, stop after one exchange."""

import datetime as dt
import email

import pytest
from django.core import mail as django_mail
from django.test import override_settings

from liaison.mail.ingest import ingest
from liaison.mail.models import Disposition, InboundMessage
from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending
from liaison.requests.models import Request, RequestEvent
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory
from tests.mail.conftest import NOW, message


def nothing_happened():
    return not Request.objects.exists() and not RequestEvent.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Auto-Submitted": "auto-generated; owner-email=x@y.example"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"Precedence": "junk"}, "Precedence"),
    ({"Precedence": "list"}, "Precedence"),
    ({"List-Id": "<ops.lists.corp.example>"}, "List-Id"),
    ({"X-Loop": "liaison@liaison.example"}, "X-Loop"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"Return-Path": "<>"}, "Empty return path"),
])
def test_automatic_mail_creates_nothing_and_is_recorded(requester, service, headers, reason):
    row = InboundMessage.objects.get(pk=ingest(message(headers=headers), now=NOW).message_id)
    assert row.disposition == Disposition.AUTO and reason in row.reason
    assert nothing_happened()


def test_auto_submitted_no_is_a_person(requester, service):
    assert ingest(message(headers={"Auto-Submitted": "no"}), now=NOW).disposition == Disposition.REQUEST


def test_a_delivery_status_notification_creates_nothing(requester, service):
    dsn = (b"From: MAILER-DAEMON@mx.corp.example\r\nTo: databases@liaison.example\r\nSubject: Undelivered\r\n"
           b"Message-ID: <dsn1@mx.corp.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
           b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
           b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n")
    row = InboundMessage.objects.get(pk=ingest(dsn, now=NOW).message_id)
    assert row.disposition == Disposition.AUTO and "Delivery status" in row.reason
    assert nothing_happened()


def test_an_empty_envelope_sender_is_a_bounce(requester, service):
    assert ingest(message(), now=NOW, envelope_from="").disposition == Disposition.AUTO
    assert nothing_happened()


def test_our_own_addresses_never_become_requesters(service):
    PersonFactory(email="liaison@liaison.example")  # even if someone made it a person
    PersonFactory(email="databases@liaison.example")
    for sender in ("liaison@liaison.example", "databases@liaison.example", "reply+x@liaison.example"):
        outcome = ingest(message(sender=sender, body=f"from {sender}"), now=NOW)
        assert outcome.disposition == Disposition.OWN
    assert nothing_happened()


def test_the_same_message_id_twice_is_one_request(requester, service):
    raw = message()
    first, second = ingest(raw, now=NOW), ingest(raw, now=NOW + dt.timedelta(minutes=5))
    assert second.duplicate and second.message_id == first.message_id
    assert Request.objects.count() == 1
    assert InboundMessage.objects.get().duplicates == 1


def test_the_same_content_from_a_retrying_mta_is_one_request(requester, service):
    raw = message(msgid="<same@corp.example>")
    retried = b"Received: from mx2.corp.example by mx.liaison.example; Mon, 2 Mar 2026 09:05:00 +0000\r\n" + raw
    assert ingest(raw, now=NOW).disposition == Disposition.REQUEST
    assert ingest(retried, now=NOW).duplicate
    no_id = message(msgid="<x@y>").replace(b"Message-ID: <x@y>\n", b"")
    assert b"Message-ID" not in no_id
    ingest(no_id, now=NOW)
    assert ingest(b"Received: from relay\n" + no_id, now=NOW).duplicate
    assert Request.objects.count() == 2


def test_per_sender_rate_limit(requester, service, settings):
    settings.LIAISON_MAIL_SENDER_RATE = 3
    outcomes = [ingest(message(subject=f"ask {i}", body=f"body {i}"), now=NOW + dt.timedelta(minutes=i))
                for i in range(5)]
    assert [o.disposition for o in outcomes] == ["request"] * 3 + ["rate_limited"] * 2
    later = ingest(message(subject="next hour", body="x"), now=NOW + dt.timedelta(hours=2))
    assert later.disposition == Disposition.REQUEST


def test_per_request_rate_limit(requester, service, settings):
    settings.LIAISON_MAIL_REQUEST_RATE = 2
    from liaison.notify.rendering import reply_address

    request_id = ingest(message(), now=NOW).request_id
    to = reply_address(f"requests.{request_id}")
    outcomes = [ingest(message(to=to, subject="re", body=f"reply {i}"), now=NOW + dt.timedelta(minutes=i))
                for i in range(4)]
    # the request mail itself counts: 1 + 1 comment reach the limit of 2
    assert [o.disposition for o in outcomes] == ["comment", "rate_limited", "rate_limited", "rate_limited"]


# --- two systems answering each other ---------------------------------------------------------------

class Relay:
    """Delivers what an instance sent (its outbox, through Django's mail backend) to the
    instance that owns the recipient's domain, and counts the messages each way."""

    def __init__(self, instances, responders=()):
        self.instances = instances  # domain -> settings overrides
        self.responders = dict(responders)  # address -> callable(msg) -> reply bytes or None
        self.sent = []

    def deliver_outbox(self, domain, now):
        with override_settings(**self.instances[domain]):
            django_mail.outbox = []
            deliver_pending(now)
            out = [m.message() for m in django_mail.outbox]
        for msg in out:
            self.sent.append((domain, msg["To"]))
            yield msg

    def run(self, first_domain, first_raw, now, rounds=6):
        queue = [(first_domain, first_raw)]
        for i in range(rounds):
            if not queue:
                return i
            nxt = []
            for domain, raw in queue:
                with override_settings(**self.instances[domain]):
                    ingest(raw, now=now + dt.timedelta(minutes=i))
                for msg in self.deliver_outbox(domain, now + dt.timedelta(minutes=i)):
                    to = email.utils.parseaddr(msg["To"])[1].lower()
                    target = to.rpartition("@")[2]
                    if target in self.instances:
                        nxt.append((target, msg.as_bytes()))
                    elif to in self.responders:
                        answer = self.responders[to](msg)
                        if answer:
                            nxt.append((first_domain, answer))
            queue = nxt
        return rounds


def _instance(domain, secret):
    return {"LIAISON_MAIL_DOMAIN": domain, "DEFAULT_FROM_EMAIL": f"Liaison <liaison@{domain}>",
            "SERVER_EMAIL": f"liaison@{domain}", "SECRET_KEY": secret * 50,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


def test_two_liaison_instances_stop_after_one_exchange(db):
    """Instance A (a.example) and B (b.example) share one database here but not one
    configuration: each has its own mail domain, From address, loop marker and key. B's
    intake address is a person in A's directory (someone made a ticket desk a team member),
    and A's is one in B's. A mail to A from B's address starts it."""
    instances = {"a.example": _instance("a.example", "a"), "b.example": _instance("b.example", "b")}
    team_a, team_b = TeamFactory(slug="ta"), TeamFactory(slug="tb")
    ServiceFactory(team=team_a, slug="alpha", name="Alpha")
    ServiceFactory(team=team_b, slug="beta", name="Beta")
    desk_b = PersonFactory(email="beta@b.example")  # B's intake, as a person of A
    MembershipFactory(person=desk_b, team=TeamFactory(slug="customers-a"))
    desk_a = PersonFactory(email="alpha@a.example")  # A's intake, as a person of B
    MembershipFactory(person=desk_a, team=TeamFactory(slug="customers-b"))
    relay = Relay(instances)
    first = message(sender="beta@b.example", to="alpha@a.example", subject="Please help", body="Hello")
    relay.run("a.example", first, NOW)
    assert relay.sent == [("a.example", "beta@b.example")]  # A's one confirmation; B answers nothing
    row = InboundMessage.objects.order_by("id").last()
    assert row.disposition == Disposition.AUTO and "Auto-Submitted" in row.reason
    assert Request.objects.count() == 1


def test_a_plain_auto_responder_without_headers_stops_after_one_exchange(requester, service):
    """The classic: a ticket system that answers every mail with a new ticket mail and sets
    no Auto-Submitted, no X-Loop, no Precedence and drops In-Reply-To."""
    instances = {"liaison.example": _instance("liaison.example", "z")}
    counter = {"n": 0}

    def responder(msg):
        counter["n"] += 1
        return message(sender="rita@corp.example", to="databases@liaison.example",
                       subject=f"Ticket {counter['n']} received: {msg['Subject']}",
                       body=f"We received your message as ticket {counter['n']}.",
                       msgid=f"<ticket{counter['n']}@corp.example>")

    relay = Relay(instances, responders={"rita@corp.example": responder})
    with override_settings(**instances["liaison.example"]):
        rounds = relay.run("liaison.example", message(), NOW, rounds=10)
    assert rounds <= 3 and counter["n"] == 1
    to_responder = [to for _, to in relay.sent if "rita@corp.example" in to]
    assert len(to_responder) == 1  # one confirmation; the auto-reply got none back (the provider lead hears of both)
