"""The tests' one SMTP server: a real one on 127.0.0.1 (aiosmtpd), and Django pointed at it.

A pytest plugin (tests/conftest.py lists it), so every folder has the fixture:

    def test_something(smtp_server):
        ...                                    # send through Django's SMTP backend
        smtp_server.messages                   # what the server accepted (email.message.Message)
        smtp_server.delay = 0.02               # make each DATA slow (concurrency tests)
"""

import asyncio
import email
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message the server accepts; `delay` makes each SMTP DATA slow."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def message_ids(self):
        return [m["Message-ID"] for m in self.messages]


def free_port():
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()
