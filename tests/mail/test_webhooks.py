"""Team chat webhooks against a local HTTP server (http.server on 127.0.0.1): Slack/Teams
payload, HMAC-SHA256 signature, back-off, disabled after repeated failure, lead told."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from liaison.mail.ingest import ingest
from liaison.notify.models import Notification, TeamWebhook, WebhookDelivery
from liaison.notify.webhooks import add_webhook, deliver_webhooks
from tests.mail.conftest import NOW, message


@pytest.fixture
def hook_server():
    received, state = [], {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(state["status"])
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, state
    server.shutdown()
    server.server_close()


def test_a_request_event_is_posted_signed_in_a_payload_slack_and_teams_accept(requester, service, provider,
                                                                             hook_server):
    url, received, _ = hook_server
    hook = add_webhook(provider, url=url, now=NOW)
    outcome = ingest(message(), now=NOW)
    assert deliver_webhooks(NOW) == {"sent": 1, "failed": 0}
    headers, body = received[0]
    data = json.loads(body)
    assert data["text"].startswith(f"#{outcome.request_id} A new schema: Rita Requester created")  # Slack
    assert data["@type"] == "MessageCard" and data["summary"]  # Teams
    assert data["liaison"]["url"].endswith(f"/requests/{outcome.request_id}/")
    expected = hmac.new(hook.secret.encode(), f"{headers['X-Liaison-Timestamp']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Liaison-Signature"] == f"sha256={expected}"
    assert deliver_webhooks(NOW) == {"sent": 0, "failed": 0}  # sent once


def test_failures_back_off_then_disable_the_webhook_and_tell_the_lead(requester, service, provider, hook_server):
    url, received, state = hook_server
    state["status"] = 500
    hook = add_webhook(provider, url=url, now=NOW)
    ingest(message(), now=NOW)
    now = NOW
    assert deliver_webhooks(now)["failed"] == 1
    assert deliver_webhooks(now + dt.timedelta(seconds=30))["failed"] == 0  # backing off: not due yet
    for attempt in range(1, 5):
        now += dt.timedelta(minutes=2 ** attempt)
        assert deliver_webhooks(now)["failed"] == 1
    hook.refresh_from_db()
    assert not hook.active and hook.consecutive_failures == TeamWebhook.MAX_FAILURES
    assert len(received) == 5
    note = Notification.objects.get(kind="notify.webhook_disabled")
    assert note.recipient == provider.lead and "HTTP Error 500" in note.body
    before = WebhookDelivery.objects.count()
    ingest(message(subject="another", body="x"), now=now)
    assert WebhookDelivery.objects.count() == before  # a disabled webhook gets nothing new


def test_a_recovered_endpoint_resets_the_failure_count(requester, service, provider, hook_server):
    url, _, state = hook_server
    hook = add_webhook(provider, url=url, now=NOW)
    state["status"] = 503
    ingest(message(), now=NOW)
    deliver_webhooks(NOW)
    state["status"] = 204
    assert deliver_webhooks(NOW + dt.timedelta(minutes=2))["sent"] == 1
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.active


def test_a_webhook_needs_an_http_address(provider):
    with pytest.raises(ValidationError) as error:
        add_webhook(provider, url="ftp://x", now=NOW)
    assert "url" in error.value.message_dict
