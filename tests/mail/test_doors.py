"""The three doors, each against a real server or process: `liaison mail ingest` (a pipe,
exit codes per sysexits), the SMTP listener itself on 127.0.0.1, and the IMAP poller
against Debian's dovecot started here as a throwaway instance (its own config, a
temporary mail_location, a passwd-file user; no system configuration touched)."""

import getpass
import imaplib
import io
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from liaison.mail.doors import smtp_controller
from liaison.mail.models import Disposition, InboundMessage
from liaison.requests.models import Request
from tests.mail.conftest import free_port, message

ROOT = Path(__file__).resolve().parents[2]


# --- the pipe -------------------------------------------------------------------------------

class _Stdin:
    def __init__(self, data):
        self.buffer = io.BytesIO(data)


def test_pipe_ingest_files_a_request(requester, service, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Stdin(message()))
    out = io.StringIO()
    call_command("mail", "ingest", stdout=out)
    assert out.getvalue().startswith("request #")
    assert Request.objects.count() == 1


def _run_cli(args, data, **env):
    return subprocess.run([sys.executable, "-m", "liaison.cli", "mail", *args], input=data, capture_output=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings", **env})


def test_pipe_exit_code_65_for_data_that_is_no_message(tmp_path):
    result = _run_cli(["ingest"], b"\x00\x01 this is not mail\n", LIAISON_DATA_DIR=str(tmp_path))
    assert result.returncode == 65, result.stderr


def test_pipe_exit_code_75_when_the_database_is_down(tmp_path):
    port = free_port()  # nothing listens there: the database is "down"
    result = _run_cli(["ingest"], message(), LIAISON_DATA_DIR=str(tmp_path),
                      DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/liaison")
    assert result.returncode == 75, result.stderr


def test_retry_command_processes_a_quarantined_message_again(requester, service, monkeypatch):
    from liaison.mail import ingest as ingest_module

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the request filing")

    with monkeypatch.context() as m:
        m.setattr(ingest_module.requests, "submit_request", broken)
        outcome = ingest_module.ingest(message(), door="pipe")
    row = InboundMessage.objects.get(pk=outcome.message_id)
    assert row.disposition == Disposition.QUARANTINED and "a bug in the request filing" in row.reason
    assert not Request.objects.exists()
    out = io.StringIO()
    call_command("mail", "retry", str(row.pk), stdout=out)  # "after the fix"
    row.refresh_from_db()
    assert row.disposition == Disposition.REQUEST and row.attempts == 2
    assert Request.objects.count() == 1


# --- the SMTP listener ------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_smtp_listener_ingests_what_it_accepts(requester, service):
    port = free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            refused = smtp.sendmail("rita@corp.example", ["databases@liaison.example"], message())
            assert refused == {}
            smtp.sendmail("", ["databases@liaison.example"], message(subject="bounce", body="b"))
    finally:
        controller.stop()
    rows = list(InboundMessage.objects.order_by("id").values_list("door", "disposition"))
    assert rows == [("smtp", Disposition.REQUEST), ("smtp", Disposition.AUTO)]  # null sender: a bounce


# --- the IMAP poller against dovecot -----------------------------------------------------------

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


@pytest.fixture
def dovecot(settings):
    if DOVECOT is None:
        pytest.skip("dovecot-imapd is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's tmp dir: dovecot's auth process drops to its own user and must reach the files.
    base = Path(tempfile.mkdtemp(prefix="liaison-dovecot-"))
    os.chmod(base, 0o755)
    port = free_port()
    if os.geteuid() == 0:
        owner = users = "dovecot"
        extra = ""
    else:
        owner = users = getpass.getuser()
        extra = f"default_login_user = {users}\ndefault_internal_user = {users}\ndefault_internal_group = {users}\n"
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    (base / "passwd").write_text("liaison:{PLAIN}imap-secret\n")
    (base / "dovecot.conf").write_text(f"""{extra}base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={owner} gid={owner} home={base}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
""")
    if os.geteuid() == 0:
        pw = pwd.getpwnam(owner)
        for sub in ("mail", "home"):
            os.chown(base / sub, pw.pw_uid, pw.pw_gid)
    conf = str(base / "dovecot.conf")
    subprocess.run([DOVECOT, "-c", conf], check=True, timeout=30)
    try:
        for _ in range(100):
            try:
                imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
                break
            except OSError:
                time.sleep(0.1)
        settings.LIAISON_IMAP_HOST, settings.LIAISON_IMAP_PORT = "127.0.0.1", port
        settings.LIAISON_IMAP_SSL = False
        settings.LIAISON_IMAP_USER, settings.LIAISON_IMAP_PASSWORD = "liaison", "imap-secret"
        settings.LIAISON_IMAP_FOLDER = "INBOX"
        yield port
    finally:
        subprocess.run([DOVECOT, "-c", conf, "stop"], timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def _imap(port):
    conn = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    conn.login("liaison", "imap-secret")
    conn.select("INBOX")
    return conn


def test_imap_poll_takes_unseen_mail_and_marks_it(requester, service, dovecot):
    conn = _imap(dovecot)
    conn.append("INBOX", None, None, message(subject="by imap 1", body="one"))
    conn.append("INBOX", None, None, message(subject="by imap 2", body="two"))
    conn.append("INBOX", None, None, message(sender="stranger@else.example", subject="who", body="?"))
    out = io.StringIO()
    call_command("mail", "poll", stdout=out)
    assert out.getvalue().strip() == "taken 3, left 0"
    assert sorted(Request.objects.values_list("title", flat=True)) == ["by imap 1", "by imap 2"]
    assert InboundMessage.objects.filter(door="imap", disposition=Disposition.TRIAGE).count() == 1
    conn.select("INBOX")
    assert conn.uid("SEARCH", None, "UNSEEN")[1] == [b""]  # all marked seen
    assert len(conn.uid("SEARCH", None, "SEEN")[1][0].split()) == 3
    conn.logout()
    out = io.StringIO()
    call_command("mail", "poll", stdout=out)  # nothing new
    assert out.getvalue().strip() == "taken 0, left 0"
    assert Request.objects.count() == 2


def test_imap_poll_leaves_mail_unseen_on_a_temporary_failure(requester, service, dovecot, monkeypatch):
    from liaison.mail import doors
    from liaison.mail.ingest import TemporaryFailure

    conn = _imap(dovecot)
    conn.append("INBOX", None, None, message())

    def down(*args, **kwargs):
        raise TemporaryFailure("database down")

    monkeypatch.setattr(doors, "ingest_many", down)
    assert doors.poll() == {"taken": 0, "left": 1, "refused": 0}
    conn.select("INBOX")
    assert len(conn.uid("SEARCH", None, "UNSEEN")[1][0].split()) == 1
    monkeypatch.undo()
    assert doors.poll() == {"taken": 1, "left": 0, "refused": 0}
    assert Request.objects.count() == 1
