"""Fuzzing the parser and the ingest with hypothesis: generated and mutated messages,
no unhandled exception. Sized for CI: ~3,000 parser examples, ~400 full ingests."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.mail import parsing
from liaison.mail.htmltext import html_to_text
from liaison.mail.ingest import REFUSED, ingest
from liaison.mail.models import Disposition, InboundMessage
from tests.mail.conftest import NOW, message

SEEDS = [
    message(),
    message(body=None, html="<p>Hi <script>alert(1)</script><b>there</b></p>"),
    message(attachments=[("a.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")], html="<div>both</div>"),
    message(headers={"In-Reply-To": "<x@corp.example>", "References": "<a@b> <c@d>", "X-Loop": "other@x"}),
    b"From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; boundary=q\r\n\r\n--q\r\n"
    b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\n--q--\r\n",
]

header_names = st.sampled_from(["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
                                "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted",
                                "Precedence", "X-Loop", "Return-Path", "Authentication-Results", "Date", "MIME-Version",
                                "List-Id", "X-Whatever"])
header_values = st.one_of(
    st.binary(max_size=120),
    st.sampled_from([b"multipart/mixed; boundary=\"b\"", b"text/html; charset=bogus", b"text/plain; charset=utf-8",
                     b"base64", b"quoted-printable", b"attachment; filename=\"=?utf-8?b?w6k=?=\"", b"<>",
                     b"=?iso-8859-1?q?caf=E9?=", b"=?utf-8?b?!!!?=", b"a@b, <c@d>, \"x\" <e@f>", b"auto-replied",
                     b"databases@liaison.example", b"rita@corp.example"]))
generated = st.builds(
    lambda headers, body: b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n"
                                   for name, value in headers) + b"\r\n" + body,
    st.lists(st.tuples(header_names, header_values), max_size=12),
    st.one_of(st.binary(max_size=400), st.sampled_from([b"--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--",
                                                        b"--b\r\n\r\n--b", b"=E9=\r\n=ZZ"])))


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=20))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[i:]
        else:
            data[i:i] = data[i:i + draw(st.integers(1, 200))]
    return bytes(data)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(raw=generated)
def test_parser_survives_generated_messages(raw):
    p = parsing.parse(raw)
    assert isinstance(p.text, str) and isinstance(p.subject, str)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(raw=mutated())
def test_parser_survives_mutated_messages(raw):
    parsing.parse(raw)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(markup=st.text(max_size=300).map(lambda t: f"<p>{t}<script>evil()</script></p>"))
def test_html_to_text_never_keeps_a_script(markup):
    text = html_to_text(markup)
    assert "evil()" not in text


@pytest.mark.django_db
@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.one_of(mutated(), generated))
def test_ingest_survives_everything_and_records_it(requester, service, raw):
    outcome = ingest(raw, now=NOW)
    if parsing.not_a_message(raw):  # refused by every door (exit 65, SMTP 554), nothing recorded
        assert outcome.disposition == REFUSED and outcome.message_id is None
        return
    assert outcome.disposition in [*Disposition.values, "duplicate"]
    assert InboundMessage.objects.filter(pk=outcome.message_id).exists()
    assert outcome.disposition != "quarantined", outcome.reason
