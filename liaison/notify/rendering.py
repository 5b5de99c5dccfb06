"""Outgoing mail for a notification: plain text + HTML, threading headers, a reply address.

Threads. A notification's ``link`` names the thing it is about ("/requests/12/"). The
link becomes a thread token ("requests.12") and every mail about it carries
``References: <requests.12@DOMAIN>`` (and ``In-Reply-To`` the same, or the message it
answers), so every mail client groups a request's mails in one thread, and a reply that
keeps its headers threads back in (liaison.mail.threads reads the token back).

Reply address. ``Reply-To: reply+requests.12.<sig>@DOMAIN`` where ``sig`` is an
HMAC of the token under SECRET_KEY: clients that drop the References header still send
the reply to an address that names the request, and nobody can forge one for a request
they do not know. notify stays independent of the domains: it only turns links into
tokens and back.
"""

import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, linebreaks

log = logging.getLogger(__name__)
LOOP_MARKER_LOCAL = "liaison"
_TOKEN = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")


def loop_marker(domain=None):
    """The X-Loop value on every mail we send; mail carrying it back is ours."""
    return f"{LOOP_MARKER_LOCAL}@{domain or settings.LIAISON_MAIL_DOMAIN}".lower()


def thread_token(link):
    """'/requests/12/' → 'requests.12'; '' for links that name no thread."""
    token = (link or "").split("?")[0].strip("/").replace("/", ".").lower()
    return token if token and _TOKEN.match(token) else ""


def thread_message_id(token):
    return f"<{token}@{settings.LIAISON_MAIL_DOMAIN}>"


def _signature(token):
    return hmac.new(settings.SECRET_KEY.encode(), f"reply:{token}".encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(token):
    return f"reply+{token}.{_signature(token)}@{settings.LIAISON_MAIL_DOMAIN}"


def token_from_reply_address(address):
    """The thread token of a genuine reply+TOKEN.SIG@DOMAIN address, else ''."""
    local, _, domain = (address or "").lower().partition("@")
    if domain != settings.LIAISON_MAIL_DOMAIN.lower() or not local.startswith("reply+"):
        return ""
    token, _, sig = local[len("reply+"):].rpartition(".")
    if token and _TOKEN.match(token) and hmac.compare_digest(sig, _signature(token)):
        return token
    return ""


AUTO_REPLIED_KINDS = {"mail.confirmation"}

#: Upper floors add words to a notification's mail without notify knowing them (the
#: playbook's "What you can do"): func(notification) -> None or a dict with "text" and/or
#: "html", appended to the body. Attachments go through register_attachments below.
MAIL_EXTRAS = []


def register_mail_extra(func):
    MAIL_EXTRAS.append(func)
    return func


def _extras(notification):
    found = []
    for func in MAIL_EXTRAS:
        try:
            extra = func(notification)
        except Exception:  # advice is a bonus: a failing hook never stops the mail
            log.exception("mail extra %s failed for notification %s", func, notification.pk)
            continue
        if extra:
            found.append(extra)
    return found


#: kind -> callable(notification) returning MIME parts to attach (e.g. an iCalendar
#: REQUEST). notify never imports the domains; they register here in AppConfig.ready().
_ATTACHERS = {}


def register_attachments(kind, attacher):
    _ATTACHERS[kind] = attacher


def render_email(notification, *, to=None):
    """The EmailMultiAlternatives for a notification (not sent)."""
    link = f"{settings.SITE_URL}{notification.link}" if notification.link else ""
    text = notification.body or ""
    extras = _extras(notification)
    for extra in extras:
        if extra.get("text"):
            text = f"{text}\n\n{extra['text']}".lstrip()
    if link:
        text = f"{text}\n\n{link}".lstrip()
    token = thread_token(notification.link)
    headers = {
        "Message-ID": notification.message_id,
        # RFC 3834: automatic mail; auto-responders must not answer it.
        "Auto-Submitted": "auto-replied" if notification.kind in AUTO_REPLIED_KINDS else "auto-generated",
        "X-Auto-Response-Suppress": "All",  # Exchange: no out-of-office replies to this
        "X-Loop": loop_marker(),
        "X-Liaison-Kind": notification.kind,
    }
    if token:
        thread = thread_message_id(token)
        parent = notification.in_reply_to or thread
        headers["In-Reply-To"] = parent
        headers["References"] = " ".join(dict.fromkeys([thread, parent]))
        headers["Reply-To"] = reply_address(token)
    parts = [linebreaks(escape(notification.body)) if notification.body else ""]
    parts += [extra["html"] for extra in extras if extra.get("html")]
    if link:
        parts.append(f'<p><a href="{escape(link)}">Open it in Liaison</a></p>')
    html = ("<!doctype html><html><body style=\"font-family:sans-serif;color:#1a1a1a\">"
            + "".join(parts) + "</body></html>")
    message = EmailMultiAlternatives(subject=notification.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=to or [notification.recipient.email], headers=headers)
    message.attach_alternative(html, "text/html")
    attacher = _ATTACHERS.get(notification.kind)
    for part in (attacher(notification) if attacher else ()):
        message.attach(part)
    return message
