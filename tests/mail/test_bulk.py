"""The batched ingest (liaison.mail.bulk) decides exactly as the one-message path does."""

import datetime as dt
import re

import pytest
from django.db import transaction

from liaison.mail import ingest as one_path
from liaison.mail.ingest import ingest_many
from liaison.mail.models import InboundMessage
from liaison.notify.models import Notification
from liaison.notify.rendering import reply_address
from liaison.requests.models import Request, RequestEvent
from tests.factories import MembershipFactory, PersonFactory
from tests.mail.conftest import NOW, message


def _batch(requester, earlier_request_id):
    lena_member = PersonFactory(email="mo@corp.example")
    MembershipFactory(person=lena_member, team=requester.memberships.get().team)
    first = message(subject="First", body="Need a thing.\nNeed by: 2026-05-04\nOptions: a smaller thing", msgid="<f@x>")
    return [
        first,
        message(subject="HTML", body=None, html="<p>Hi <script>x()</script>there</p>", msgid="<h@x>"),
        message(subject="Re: First", body="More.\n\nOn Mon, Rita wrote:\n> Need a thing.", msgid="<r1@x>",
                headers={"In-Reply-To": "<f@x>"}),  # answers a message of the same batch
        message(subject="Re: earlier", to=reply_address(f"requests.{earlier_request_id}"), body="Earlier reply.",
                msgid="<r2@x>"),
        message(sender="mo@corp.example", subject="From a team mate", body="Also this.", msgid="<m@x>"),
        message(subject="OOO", headers={"Auto-Submitted": "auto-replied"}, msgid="<a@x>"),
        message(sender="who@else.example", subject="?", msgid="<u@x>"),
        first,  # the same message twice in one batch
        message(subject="Attached", attachments=[("a.txt", b"abc", "text/plain")], msgid="<att@x>"),
        message(subject="Too soon", body="x\nNeed by: 2026-03-03", msgid="<soon@x>"),
        message(sender="rita@corp.example", to="nobody@liaison.example", msgid="<nobody@x>"),
    ]


def _summary():
    def norm(text):
        return re.sub(r"#\d+|requests/\d+|requests\.\d+", "#N", text or "")

    return {
        "log": sorted((m.message_id, m.disposition, norm(m.reason), m.duplicates, m.confirmed)
                      for m in InboundMessage.objects.all()),
        "requests": sorted((r.title, r.context, str(r.need_by), r.date_kind, r.options, r.notice_business_days)
                           for r in Request.objects.all()),
        "events": sorted((e.kind, e.actor_id, norm(str(e.data.get("text", "")))) for e in RequestEvent.objects.all()),
        "notifications": sorted((n.kind, n.recipient_id, norm(n.subject), norm(n.body), n.in_reply_to)
                                for n in Notification.objects.all()),
    }


class _Rollback(Exception):
    pass


@pytest.mark.parametrize("earlier_by", [dt.timedelta(0), dt.timedelta(days=1)])
def test_a_batch_gives_the_same_result_as_one_message_at_a_time(requester, service, earlier_by):
    """earlier_by 0: the sender was just confirmed (no confirmation in the batch); a day: one is."""
    earlier = ingest_many([message(subject="Earlier", body="x", msgid="<e@x>")], now=NOW - earlier_by)[0].request_id
    batch = _batch(requester, earlier)
    try:
        with transaction.atomic():
            ingest_many(batch, now=NOW)
            batched = _summary()
            raise _Rollback
    except _Rollback:
        pass
    ctx = one_path.Context(NOW)
    with transaction.atomic():
        for raw in batch:
            one_path._one(ctx, raw, "pipe", None)
    single = _summary()
    for key in batched:
        assert batched[key] == single[key], key
    assert len(single["requests"]) == 6  # earlier, first, html, team mate, attached, too soon
    confirmations = [n for n in single["notifications"] if n[0] == "mail.confirmation"]
    assert len(confirmations) == (3 if earlier_by else 2)  # "Earlier", Rita once per window, her team mate
