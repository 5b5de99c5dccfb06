"""The two network doors: an SMTP listener (aiosmtpd) and an IMAP poller (imaplib).

Both call liaison.mail.ingest.ingest and map its outcome to their protocol:
* SMTP: 250 once recorded (whatever the disposition: triage and quarantine are records
  too), 451 on a temporary failure so the sending MTA retries, 552 over the size limit,
  554 for bytes with no header at all — the two refusals the pipe door makes too (exit
  65), and the only permanent answers. Lines of any length are taken, as Postfix takes
  them (RFC 5321's 1,000 bytes is a limit senders break: Outlook sends longer lines).
* IMAP: a message is flagged \\Seen only after it is recorded (or refused: it stays in the
  mailbox); on a temporary failure it stays unseen and the next poll takes it again (the
  content hash makes that safe).
"""

import asyncio
import contextlib
import imaplib
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections, connections

from .ingest import REFUSED, TemporaryFailure, ingest, ingest_many

log = logging.getLogger(__name__)


def _ingest_sync(raw, envelope_from):
    close_old_connections()  # drop a connection the database closed while we idled
    return ingest(raw, door="smtp", envelope_from=envelope_from)


class IngestHandler:
    """Ingests on one worker thread of its own: the ORM is synchronous, and one thread
    keeps one database connection for the listener's life (closed by `close()`)."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liaison-smtpd")

    def close(self):
        self.executor.submit(connections.close_all).result(timeout=30)
        self.executor.shutdown(wait=True)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        envelope_from = "" if envelope.mail_from in ("", "<>") else envelope.mail_from
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(self.executor, _ingest_sync, raw,
                                                                       envelope_from)
        except TemporaryFailure as error:
            log.warning("smtp: temporary failure, asking the sender to retry: %s", error)
            return "451 4.3.0 Temporary failure, please retry"
        except Exception:  # never crash the listener; the MTA keeps the message and retries
            log.exception("smtp: unexpected failure")
            return "451 4.3.0 Temporary failure, please retry"
        if outcome.disposition == REFUSED:
            return f"554 5.6.0 {outcome.reason}"
        return "250 2.0.0 Message accepted"


class LongLineSMTP(SMTP):
    """aiosmtpd's SMTP without its 1,001-byte line limit for message data (it answers
    "500 Line too long", a permanent failure, for mail the pipe door takes). A line may be
    as long as a whole message; command lines keep their own 512-byte limit."""

    def __init__(self, handler, **kwargs):
        self.line_length_limit = max(kwargs.get("data_size_limit") or 0, SMTP.line_length_limit)
        super().__init__(handler, **kwargs)


class IngestController(Controller):
    def factory(self):
        return LongLineSMTP(self.handler, **self.SMTP_kwargs)

    def stop(self, *args, **kwargs):
        try:
            super().stop(*args, **kwargs)
        finally:
            self.handler.close()


def smtp_controller(host=None, port=None):
    """An unstarted aiosmtpd Controller running the ingest; `.start()` / `.stop()`."""
    return IngestController(IngestHandler(), hostname=host or settings.LIAISON_SMTPD_HOST,
                      port=port or settings.LIAISON_SMTPD_PORT, data_size_limit=settings.LIAISON_MAIL_MAX_MESSAGE_BYTES,
                      decode_data=False)


def imap_connect():
    cls = imaplib.IMAP4_SSL if settings.LIAISON_IMAP_SSL else imaplib.IMAP4
    conn = cls(settings.LIAISON_IMAP_HOST, settings.LIAISON_IMAP_PORT)
    conn.login(settings.LIAISON_IMAP_USER, settings.LIAISON_IMAP_PASSWORD)
    return conn


def poll(limit=500, batch=100):
    """Fetch unseen messages from the configured IMAP folder, ingest them in batches,
    flag each batch \\Seen once it is recorded.

    Returns {"taken": n, "left": n, "refused": n} (left: temporary failures, still unseen;
    refused: no header at all or too large, marked seen and left in the mailbox).
    """
    counts = {"taken": 0, "left": 0, "refused": 0}
    conn = imap_connect()
    try:
        status, _ = conn.select(settings.LIAISON_IMAP_FOLDER)
        if status != "OK":
            raise RuntimeError(f"IMAP folder {settings.LIAISON_IMAP_FOLDER} cannot be selected")
        status, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()[:limit] if status == "OK" and data and data[0] else []
        for start in range(0, len(uids), batch):
            fetched = []
            for uid in uids[start:start + batch]:
                status, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts or [] if isinstance(p, tuple) and len(p) > 1), None)
                if status != "OK" or raw is None:
                    counts["left"] += 1
                    continue
                fetched.append((uid, raw))
            if not fetched:
                continue
            try:
                outcomes = ingest_many([raw for _, raw in fetched], door="imap")
            except TemporaryFailure as error:
                log.warning("imap: %d messages left for the next poll: %s", len(fetched), error)
                counts["left"] += len(fetched)
                continue
            conn.uid("STORE", b",".join(uid for uid, _ in fetched), "+FLAGS", "(\\Seen)")
            for (uid, _), outcome in zip(fetched, outcomes, strict=True):
                if outcome.disposition == REFUSED:
                    log.warning("imap: message UID %s refused, left in the mailbox: %s", uid.decode(), outcome.reason)
                    counts["refused"] += 1
                else:
                    counts["taken"] += 1
    finally:
        with contextlib.suppress(Exception):  # the server may already have gone
            conn.logout()
    return counts
