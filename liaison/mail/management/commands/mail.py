"""`liaison mail ingest|smtpd|poll|retry`: the doors of the mail ingest, for operators and MTAs.

    liaison mail ingest [--from SENDER] < message.eml   # an MTA pipe: exit 0, 65 or 75 (sysexits)
    liaison mail smtpd [--host H] [--port P]            # SMTP listener (LIAISON_SMTPD_HOST/PORT)
    liaison mail poll [--every SECONDS]                 # IMAP (LIAISON_IMAP_*), once or in a loop
    liaison mail retry ID [ID ...]                      # process quarantined messages again
"""

import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from liaison.mail.ingest import EX_DATAERR, EX_TEMPFAIL, REFUSED, TemporaryFailure, ingest, retry
from liaison.mail.models import InboundMessage


class Command(BaseCommand):
    help = "Mail in: ingest one message from stdin, run the SMTP listener, poll IMAP, retry quarantined mail."
    # The system checks import every URLconf, and with it every API router, the insights'
    # statistics and the network graph: seconds of CPU per message for an MTA pipe that
    # runs this once per delivered message. `liaison serve` and `manage.py check` run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("ingest", help="Read one RFC 5322 message on stdin (for an MTA pipe).")
        p.add_argument("--from", dest="envelope_from", default=None,
                       help="The envelope sender (MTA's $sender); empty for a bounce.")
        p = sub.add_parser("smtpd", help="Run the SMTP listener.")
        p.add_argument("--host", default=None)
        p.add_argument("--port", type=int, default=None)
        p = sub.add_parser("poll", help="Fetch unseen mail from IMAP and mark what was taken.")
        p.add_argument("--every", type=int, default=0, help="Poll every N seconds (0: once).")
        p = sub.add_parser("retry", help="Process quarantined messages again.")
        p.add_argument("ids", nargs="+", type=int)

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_ingest(self, envelope_from=None, **options):
        raw = sys.stdin.buffer.read()
        try:
            outcome = ingest(raw, door="pipe", envelope_from=envelope_from)
        except TemporaryFailure as error:
            self.stderr.write(f"temporary failure, retry later: {error}")
            sys.exit(EX_TEMPFAIL)
        if outcome.disposition == REFUSED:  # the same refusal as every door's (no header at all, too large)
            self.stderr.write(outcome.reason)
            sys.exit(EX_DATAERR)
        self.stdout.write(f"{outcome.disposition} #{outcome.message_id}"
                          + (f" request #{outcome.request_id}" if outcome.request_id else ""))

    def do_smtpd(self, host=None, port=None, **options):
        from liaison.mail.doors import smtp_controller

        controller = smtp_controller(host, port)
        controller.start()
        self.stdout.write(f"listening on {controller.hostname}:{controller.port}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            controller.stop()

    def do_poll(self, every=0, **options):
        import time

        from liaison.mail.doors import poll

        while True:
            counts = poll()
            self.stdout.write(f"taken {counts['taken']}, left {counts['left']}"
                              + (f", refused {counts['refused']}" if counts['refused'] else ""))
            if not every:
                return
            time.sleep(every)

    def do_retry(self, ids, **options):
        for pk in ids:
            message = InboundMessage.objects.filter(pk=pk).first()
            if message is None:
                raise CommandError(f"No inbound message #{pk}.")
            outcome = retry(message)
            self.stdout.write(f"#{pk}: {outcome.disposition} {outcome.reason}".rstrip())
