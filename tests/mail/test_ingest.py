"""Mail in: a request by mail, a confirmation, replies that thread, triage."""

import datetime as dt
import email

import pytest

from liaison.mail.ingest import ingest
from liaison.mail.models import Disposition, InboundMessage
from liaison.notify.models import Notification
from liaison.notify.rendering import reply_address
from liaison.notify.services import build_email
from liaison.requests.models import EventKind, Request, RequestEvent
from tests.factories import PersonFactory
from tests.mail.conftest import NOW, message


def confirmation_of(request):
    return Notification.objects.get(kind="mail.confirmation", link=request.get_absolute_url())


def test_a_mail_to_the_intake_address_becomes_a_request(requester, service):
    raw = message(attachments=[("schema.sql", b"CREATE TABLE t (id int);", "text/plain")],
                  body="We need a schema for the Q3 report.\n\n-- \nRita, Sales Ops")
    outcome = ingest(raw, now=NOW)
    assert outcome.disposition == Disposition.REQUEST
    request = Request.objects.get(pk=outcome.request_id)
    assert (request.title, request.requester, request.service) == ("A new schema", requester, service)
    assert request.context == "We need a schema for the Q3 report."  # signature trimmed
    assert [a.name for a in request.attachments.all()] == ["schema.sql"]
    assert request.attachments.get().file.read() == b"CREATE TABLE t (id int);"
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert bytes(row.raw) == raw  # the raw message is kept
    # The confirmation links to the request and says what is missing.
    note = confirmation_of(request)
    assert note.recipient == requester
    assert "Need-by date: you gave none" in note.body and "Options" in note.body
    mail = build_email(note)
    assert f"http://127.0.0.1:8000/requests/{request.pk}/" in mail.body
    assert mail.extra_headers["Reply-To"] == reply_address(f"requests.{request.pk}")
    assert mail.extra_headers["In-Reply-To"] == f"<{email.message_from_bytes(raw)['Message-ID'][1:-1].lower()}>"
    assert mail.alternatives[0][1] == "text/html"


def test_need_by_and_options_are_read_from_the_body(requester, service):
    raw = message(body="Please add a replica.\nNeed by: 2026-04-15 (hard)\nOptions: a read-only copy first")
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    assert request.need_by == dt.date(2026, 4, 15)
    assert request.date_kind == "hard"
    assert request.options == "a read-only copy first"
    assert "Still missing" not in confirmation_of(request).body


def test_a_short_notice_date_falls_back_to_the_lead_time_and_says_so(requester, service):
    raw = message(body="Tomorrow please.\nNeed by: 2026-03-03")
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    assert request.need_by == dt.date(2026, 3, 9)  # 5 business days after Monday 2 March
    assert "Short notice" in confirmation_of(request).body


def _request_by_mail(requester, service):
    raw = message()
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    return raw, request


def test_a_reply_threads_in_by_in_reply_to_with_the_quote_trimmed(requester, service):
    raw, request = _request_by_mail(requester, service)
    original = email.message_from_bytes(raw)["Message-ID"]
    reply = message(subject="Re: A new schema", to="databases@liaison.example",
                    body="The date is flexible.\n\nOn Mon, 2 Mar 2026, Rita wrote:\n> We need a schema",
                    headers={"In-Reply-To": original, "References": original})
    outcome = ingest(reply, now=NOW + dt.timedelta(minutes=30))
    assert outcome.disposition == Disposition.COMMENT and outcome.request_id == request.pk
    event = RequestEvent.objects.filter(request=request, kind=EventKind.COMMENTED).get()
    assert event.data["text"] == "The date is flexible."
    assert Request.objects.count() == 1


def test_a_reply_to_our_notification_threads_in_by_references(requester, service, provider):
    _, request = _request_by_mail(requester, service)
    note = confirmation_of(request)
    mail = build_email(note)
    reply = message(subject="Re: whatever", to="someone@elsewhere.example", body="Thanks!",
                    headers={"References": mail.extra_headers["References"]})
    assert ingest(reply, now=NOW).request_id == request.pk


def test_a_reply_threads_in_by_the_reply_address_when_headers_are_dropped(requester, service):
    _, request = _request_by_mail(requester, service)
    reply = message(subject="no headers kept", to=reply_address(f"requests.{request.pk}"), body="Here is more.")
    outcome = ingest(reply, now=NOW)
    assert (outcome.disposition, outcome.request_id) == (Disposition.COMMENT, request.pk)


def test_a_forged_reply_address_does_not_thread(requester, service):
    _, request = _request_by_mail(requester, service)
    forged = f"reply+requests.{request.pk}.0000000000000000@liaison.example"
    outcome = ingest(message(to=forged, subject="x", body="y"), now=NOW)
    assert outcome.disposition == Disposition.TRIAGE


def test_an_unknown_sender_waits_in_triage_for_the_service_team(service):
    outcome = ingest(message(sender="stranger@else.example"), now=NOW)
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert (row.disposition, row.service) == (Disposition.TRIAGE, service)
    assert "Unknown sender" in row.reason
    assert not Request.objects.exists() and not Notification.objects.exists()


def test_an_unmatched_address_waits_in_triage(requester, service):
    row = InboundMessage.objects.get(pk=ingest(message(to="nobody@liaison.example"), now=NOW).message_id)
    assert (row.disposition, row.service) == (Disposition.TRIAGE, None)


def test_a_person_outside_both_teams_cannot_comment_by_mail(requester, service):
    _, request = _request_by_mail(requester, service)
    PersonFactory(email="olga@corp.example")
    outcome = ingest(message(sender="olga@corp.example", to=reply_address(f"requests.{request.pk}"), body="me too"),
                     now=NOW)
    assert outcome.disposition == Disposition.TRIAGE and "may not comment" in outcome.reason


@pytest.mark.parametrize("html", [
    "<html><head><script>alert(1)</script></head><body><p>Please <b>add</b> a user</p>"
    "<script type='text/javascript'>steal()</script><img src=x onerror=alert(2)></body></html>",
])
def test_html_only_mail_becomes_safe_text(requester, service, html):
    request = Request.objects.get(pk=ingest(message(body=None, html=html), now=NOW).request_id)
    assert request.context == "Please add a user"
    assert "script" not in request.context and "alert" not in request.context and "steal" not in request.context


def test_an_attachment_over_the_limit_is_kept_out_and_the_sender_told(requester, service, settings):
    settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES = 1000
    raw = message(attachments=[("small.txt", b"x" * 10, "text/plain"), ("huge.bin", b"\0" * 5000,
                                                                       "application/octet-stream")])
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    assert [a.name for a in request.attachments.all()] == ["small.txt"]
    assert "Not kept" in confirmation_of(request).body and "huge.bin" in confirmation_of(request).body


def test_a_reply_with_a_huge_attachment_tells_its_sender(requester, service, settings):
    settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES = 1000
    _, request = _request_by_mail(requester, service)
    reply = message(to=reply_address(f"requests.{request.pk}"), subject="re", body="The dump.",
                    attachments=[("dump.sql", b"x" * 5000, "application/sql")])
    assert ingest(reply, now=NOW).disposition == Disposition.COMMENT
    note = Notification.objects.get(kind="mail.attachment_refused")
    assert note.recipient == requester and "dump.sql" in note.body
    assert not request.attachments.exists()
