"""Every door takes the same bytes to the same outcome.

One corpus of what real mailers send — blank lines or whitespace before the first header,
an mbox "From " line, bare LF line ends, a line of several thousand bytes (Outlook),
and bytes with no header at all — goes through the pipe (`liaison mail ingest`, the
command itself reading stdin), the SMTP listener on 127.0.0.1 and the IMAP poller against
a throwaway dovecot, each on a fresh database. Each door must reach the one expected
table: only bytes with no header are refused (exit 65, SMTP 554, IMAP: left in the
mailbox), and nothing is a permanent SMTP failure that the pipe takes.
"""

import io
import os
import smtplib
import subprocess
import sys

import pytest
from django.core.management import call_command

from liaison.mail.doors import smtp_controller
from liaison.mail.models import InboundMessage
from liaison.requests.models import Request
from tests.mail.conftest import free_port, message
from tests.mail.test_doors import ROOT, _imap, _run_cli, _Stdin, dovecot  # noqa: F401 (dovecot: a fixture)

LONG_LINE = "x" * 4000  # RFC 5321 says 1,000 bytes; Outlook's HTML parts break it


def _corpus():
    crlf = message(subject="crlf", body="plain CRLF mail").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return {
        "plain": message(subject="plain", body="an ordinary message"),
        "crlf": crlf,
        "blank lines first": b"\r\n\r\n" + message(subject="blank lines first", body="two blank lines"),
        "bare LF blank first": b"\n" + message(subject="bare LF blank first", body="one bare LF"),
        "whitespace first": b"  \t" + message(subject="whitespace first", body="spaces and a tab"),
        "mbox From line": b"From rita@corp.example  Mon Mar  2 09:00:00 2026\n"
                          + message(subject="mbox From line", body="Postfix's F flag"),
        "long line": message(subject="long line", body=f"start\n{LONG_LINE}\nend"),
        "long header": message(subject="long header", body="b", headers={"X-Long": "y" * 3000}),
        "unknown sender": b"\r\n" + message(sender="stranger@else.example", subject="who", body="?"),
        "no header": b"Hello team,\r\nplease create a schema.\r\n",
        "blank then no header": b"\r\n\r\nHello team, a colon: is no header\r\n",
    }


EXPECTED = {
    "plain": "request",
    "crlf": "request",
    "blank lines first": "request",
    "bare LF blank first": "request",
    "whitespace first": "request",
    "mbox From line": "request",
    "long line": "request",
    "long header": "request",
    "unknown sender": "triage",
    "no header": "refused",
    "blank then no header": "refused",
}


def _latest(before):
    row = InboundMessage.objects.order_by("-id").first()
    return row.disposition if row and row.pk > before else None


def _last_id():
    return InboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _through_pipe(corpus, monkeypatch):
    out = {}
    for name, raw in corpus.items():
        before = _last_id()
        monkeypatch.setattr(sys, "stdin", _Stdin(raw))
        try:
            call_command("mail", "ingest", stdout=io.StringIO(), stderr=io.StringIO())
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        out[name] = "refused" if code == 65 else _latest(before) if code == 0 else f"exit {code}"
    return out


def _through_smtp(corpus):
    port = free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    out = {}
    try:
        for name, raw in corpus.items():
            before = _last_id()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                try:
                    smtp.sendmail("rita@corp.example", ["databases@liaison.example"], raw)
                    out[name] = _latest(before)
                except smtplib.SMTPDataError as error:
                    out[name] = "refused" if error.smtp_code == 554 else f"smtp {error.smtp_code}"
    finally:
        controller.stop()
    return out


def _through_imap(corpus, port):
    out = {}
    for name, raw in corpus.items():
        before = _last_id()
        conn = _imap(port)
        conn.append("INBOX", None, None, raw)
        conn.logout()
        out_text = io.StringIO()
        call_command("mail", "poll", stdout=out_text)
        out[name] = "refused" if "refused 1" in out_text.getvalue() else _latest(before)
    return out


@pytest.mark.django_db(transaction=True)
def test_the_pipe_door_reaches_the_expected_outcomes(requester, service, monkeypatch):
    assert _through_pipe(_corpus(), monkeypatch) == EXPECTED
    assert Request.objects.count() == list(EXPECTED.values()).count("request")


@pytest.mark.django_db(transaction=True)
def test_the_smtp_door_reaches_the_same_outcomes(requester, service):
    assert _through_smtp(_corpus()) == EXPECTED
    request = Request.objects.get(title="long line")
    assert LONG_LINE in request.context  # the long line is kept whole, not cut


@pytest.mark.django_db(transaction=True)
def test_the_imap_door_reaches_the_same_outcomes(requester, service, dovecot):  # noqa: F811
    assert _through_imap(_corpus(), dovecot) == EXPECTED
    conn = _imap(dovecot)
    assert conn.uid("SEARCH", None, "UNSEEN")[1] == [b""]  # refused ones too: seen, still in the mailbox
    assert len(conn.uid("SEARCH", None, "ALL")[1][0].split()) == len(EXPECTED)
    conn.logout()


def test_a_real_pipe_run_takes_mail_that_starts_with_blank_lines(tmp_path):
    """The command as an MTA runs it, against a migrated database of its own."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings", "LIAISON_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "liaison.cli", "migrate", "-v0"], check=True, cwd=ROOT, env=env,
                   timeout=300)
    result = _run_cli(["ingest"], b"\r\n\r\n" + message(sender="someone@else.example"), LIAISON_DATA_DIR=str(tmp_path),
                      DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"triage #1")  # unknown sender: it waits for a person, nothing bounced
    result = _run_cli(["ingest"], b"\r\n\r\nstill no header here\r\n", LIAISON_DATA_DIR=str(tmp_path),
                      DATABASE_URL="")
    assert result.returncode == 65 and b"not an RFC 5322 message" in result.stderr
