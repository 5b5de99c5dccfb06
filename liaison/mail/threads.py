"""Which request does a reply answer? Reply address first, then In-Reply-To/References.

1. A recipient ``reply+requests.12.<sig>@DOMAIN`` with a valid signature (the Reply-To of
   every mail we send): survives clients that drop threading headers.
2. A referenced id of ours: ``<requests.12@DOMAIN>`` (the thread id in References of
   every mail we send) or ``<notification-N@DOMAIN>`` (a mail we sent; its link names
   the request).
3. A referenced id of a message we received and filed (the original request mail, or an
   earlier reply): the InboundMessage row knows its request.
"""

import re

from django.conf import settings

from liaison.notify.models import Notification
from liaison.notify.rendering import thread_token, token_from_reply_address

from .models import InboundMessage

_REQUEST_TOKEN = re.compile(r"^requests\.(\d{1,18})$")


def request_id_from_token(token):
    m = _REQUEST_TOKEN.match(token or "")
    return int(m.group(1)) if m else None


def find_request_id(parsed):
    """The id of the request `parsed` answers, or None."""
    for address in parsed.recipients:
        rid = request_id_from_token(token_from_reply_address(address))
        if rid:
            return rid
    domain = "@" + settings.LIAISON_MAIL_DOMAIN.lower()
    ids = parsed.thread_ids
    notification_ids = []
    for mid in ids:
        if mid.endswith(domain):
            local = mid[: -len(domain)]
            rid = request_id_from_token(local)
            if rid:
                return rid
            if local.startswith("notification-") and local[13:].isdigit():
                notification_ids.append(int(local[13:]))
    if notification_ids:
        for link in Notification.objects.filter(pk__in=notification_ids[:20]).values_list("link", flat=True):
            rid = request_id_from_token(thread_token(link))
            if rid:
                return rid
    if ids:
        row = (InboundMessage.objects.filter(message_id__in=ids[:50], request__isnull=False)
               .values_list("request_id", flat=True).first())
        if row:
            return row
    return None
