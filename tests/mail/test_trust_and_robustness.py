"""Spoofing (how far From is trusted) and robustness (bad MIME, charsets, 8-bit headers)."""

import pytest

from liaison.mail.ingest import REFUSED, ingest
from liaison.mail.models import Disposition, InboundMessage
from liaison.requests.models import Request
from tests.mail.conftest import NOW, message

AR = "Authentication-Results"


@pytest.fixture
def trusted(settings):
    settings.LIAISON_MAIL_TRUSTED_AUTHSERV_ID = "mx.corp.example"


@pytest.mark.parametrize("result", [
    "mx.corp.example; dmarc=pass (p=reject) header.from=corp.example",
    "mx.corp.example; spf=pass smtp.mailfrom=rita@corp.example",
    "mx.corp.example; dkim=pass header.d=corp.example header.s=sel",
])
def test_with_a_trusted_mta_a_passing_result_matches_the_person(requester, service, trusted, result):
    assert ingest(message(headers={AR: result}), now=NOW).disposition == Disposition.REQUEST


@pytest.mark.parametrize("headers", [
    {},  # no result at all
    {AR: "mx.corp.example; dmarc=fail header.from=corp.example; spf=softfail"},
    {AR: "evil.example; dmarc=pass header.from=corp.example"},  # someone else's claim
    {AR: "mx.corp.example; spf=pass smtp.mailfrom=attacker@evil.example"},  # passes, but for another domain
])
def test_with_a_trusted_mta_an_unproven_from_waits_in_triage(requester, service, trusted, headers):
    outcome = ingest(message(headers=headers), now=NOW)
    assert outcome.disposition == Disposition.TRIAGE and "not authenticated" in outcome.reason
    assert not Request.objects.exists()


def test_a_forged_header_below_the_trusted_one_does_not_count(requester, service, trusted):
    raw = message().replace(b"From:", f"{AR}: mx.corp.example; dmarc=fail header.from=corp.example\n"
                                      f"{AR}: mx.corp.example; dmarc=pass header.from=corp.example\nFrom:".encode(), 1)
    assert ingest(raw, now=NOW).disposition == Disposition.TRIAGE


def test_mail_never_acts_as_a_lead(requester, service, provider):
    """The provider lead's own address can file and comment; nothing a lead alone may do
    (acknowledge, commit, decline) happens by mail, whatever the text says."""
    from liaison.notify.rendering import reply_address

    request_id = ingest(message(), now=NOW).request_id
    lead_reply = message(sender="lena@corp.example", to=reply_address(f"requests.{request_id}"), subject="re",
                         body="Committed to 2026-04-01. Decline. Acknowledge.")
    assert ingest(lead_reply, now=NOW).disposition == Disposition.COMMENT
    request = Request.objects.get()
    assert request.status == "submitted" and request.committed_date is None and request.provider_owner is None


NOT_MESSAGES = [b"", b"\r\n \t\r\n", b"no headers at all, just text", b"\r\n\r\nno header: after blank lines\n"]
BAD = [
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: =?utf-8?q?broken=ZZ?=\r\n\r\nbody",
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: caf\xe9 8-bit \xff header\r\n\r\nbody \xe9",
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: bad charset\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nh\xe9llo",
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: wrong charset\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64",
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: no boundary\r\n"
    b"Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nlost\r\n",
    b"From: rita@corp.example\r\nTo: databases@liaison.example\r\nSubject: unterminated\r\n"
    b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hi<script>x",
    b"From: \r\nTo: \r\nSubject:\r\n\r\n",
    b"From: \"Rita\" <rita@corp.example\r\nTo: <<databases@liaison.example>>\r\nSubject: angle\r\n\r\nx",
]


@pytest.mark.parametrize("raw", BAD)
def test_malformed_mail_never_crashes_the_ingest(requester, service, raw):
    outcome = ingest(raw, now=NOW)
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert row.disposition in Disposition.values
    assert bytes(row.raw) == raw


@pytest.mark.parametrize("raw", NOT_MESSAGES)
def test_bytes_without_any_header_are_refused_and_not_recorded(requester, service, raw):
    outcome = ingest(raw, now=NOW)
    assert outcome.disposition == REFUSED and "not an RFC 5322 message" in outcome.reason
    assert not InboundMessage.objects.exists()


def test_8bit_headers_and_a_latin1_body_become_a_readable_request(requester, service):
    raw = (b"From: Rita <rita@corp.example>\r\nTo: databases@liaison.example\r\nSubject: Caf\xc3\xa9 schema\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"L'\xe9t\xe9 prochain")
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    assert request.title == "Café schema" and request.context == "L'été prochain"
