"""Mail out through the outbox, against a real SMTP server on 127.0.0.1 (aiosmtpd):
plain + HTML, threading headers, reply address, link; a reply to it threads back in;
a crash between rendering and sending neither loses nor doubles; digest and off modes."""

import datetime as dt

import pytest

from liaison.mail.ingest import ingest
from liaison.mail.models import Disposition
from liaison.notify import services
from liaison.notify.digest import send_digests
from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending, set_preference
from liaison.requests.models import EventKind, RequestEvent
from tests.mail.conftest import NOW, message


@pytest.mark.django_db(transaction=True)
def test_a_request_by_mail_is_confirmed_and_the_reply_threads_back_in(requester, service, provider, smtp_server):
    outcome = ingest(message(), now=NOW)
    counts = deliver_pending(NOW)
    assert counts["sent"] == 2  # the confirmation to Rita, the new-request notice to the provider lead
    by_to = {m["To"]: m for m in smtp_server.messages}
    mail = by_to["rita@corp.example"]
    assert mail.get_content_type() == "multipart/alternative"
    text, html = (part.get_payload(decode=True).decode() for part in mail.get_payload())
    link = f"http://127.0.0.1:8000/requests/{outcome.request_id}/"
    assert link in text and f'href="{link}"' in html
    thread = f"<requests.{outcome.request_id}@liaison.example>"
    assert thread in mail["References"]
    assert by_to["lena@corp.example"]["References"] == thread  # the provider's mail is in the same thread
    assert mail["Auto-Submitted"] == "auto-replied" and mail["X-Loop"] == "liaison@liaison.example"
    assert mail["Reply-To"].startswith(f"reply+requests.{outcome.request_id}.")
    # Rita answers with her client's "Reply": to the Reply-To, quoting our mail.
    reply = message(to=mail["Reply-To"], subject="Re: " + " ".join(mail["Subject"].split()),
                    body="Need by 20 April at the latest.\n\nOn Mon, 2 Mar 2026, Liaison wrote:\n> Your request",
                    headers={"In-Reply-To": mail["Message-ID"], "References": " ".join(mail["References"].split())})
    assert ingest(reply, now=NOW).disposition == Disposition.COMMENT
    event = RequestEvent.objects.get(request_id=outcome.request_id, kind=EventKind.COMMENTED)
    assert event.data["text"] == "Need by 20 April at the latest."
    # The provider lead's reply (headers dropped, only the reply address) threads in too.
    lead_reply = message(sender="lena@corp.example", to=by_to["lena@corp.example"]["Reply-To"], subject="ok",
                         body="We can do it.")
    assert ingest(lead_reply, now=NOW).request_id == outcome.request_id


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_rendering_and_sending_neither_loses_nor_doubles(requester, service, smtp_server, monkeypatch):
    ingest(message(), now=NOW)
    real_render = services.build_email

    def render_then_crash(notification):
        real_render(notification)
        raise KeyboardInterrupt("worker killed after rendering")

    monkeypatch.setattr(services, "build_email", render_then_crash)
    with pytest.raises(KeyboardInterrupt):
        deliver_pending(NOW)
    assert smtp_server.messages == []
    assert not Notification.objects.filter(state="sent").exists()  # nothing lost: still pending
    monkeypatch.setattr(services, "build_email", real_render)
    deliver_pending(NOW)
    deliver_pending(NOW)  # a second sweep sends nothing again
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == Notification.objects.count() == len(set(ids))


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_sending_resends_with_the_same_message_id(requester, service, smtp_server, monkeypatch):
    ingest(message(), now=NOW)
    monkeypatch.setattr(services, "_mark_sent", lambda n, now: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        deliver_pending(NOW)
    monkeypatch.undo()
    deliver_pending(NOW)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == Notification.objects.count() + 1  # one resent: at-least-once ...
    assert len(set(ids)) == Notification.objects.count()  # ... with the same Message-ID


def _queue(person, n, kind="request.comment"):
    for i in range(n):
        services.notify([person], kind=kind, subject=f"Comment {i}", body="b", link=f"/requests/{i + 1}/",
                        dedupe_key=f"t:{kind}:{i}", now=NOW)


def test_digest_mode_parks_and_sends_one_digest_a_day(requester, settings):
    settings.LIAISON_DIGEST_HOUR = 7
    set_preference(requester, "request", "digest")
    _queue(requester, 3)
    services.notify([requester], kind="mail.confirmation", subject="Received", dedupe_key="c", now=NOW)
    counts = deliver_pending(NOW)
    assert counts["digest"] == 3 and counts["sent"] == 1  # a confirmation is never held back
    early = NOW.replace(hour=6)
    assert send_digests(early) == 0
    assert send_digests(NOW) == 1
    assert send_digests(NOW + dt.timedelta(hours=3)) == 0  # once per person per day
    digest = Notification.objects.get(kind="notify.digest")
    assert "3 notifications" in digest.body and "/requests/2/" in digest.body
    assert Notification.objects.filter(state="digested").count() == 3
    assert deliver_pending(NOW)["sent"] == 1  # the digest itself goes out
    _queue(requester, 1, kind="request.comment.more")
    deliver_pending(NOW)
    assert send_digests(NOW + dt.timedelta(hours=4)) == 0  # today's digest went: tomorrow's
    assert send_digests(NOW + dt.timedelta(days=1)) == 1


def test_off_mode_suppresses(requester):
    set_preference(requester, "*", "off")
    _queue(requester, 2)
    assert deliver_pending(NOW)["suppressed"] == 2
