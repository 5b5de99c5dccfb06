"""The playbook in the notification mail, through notify's MAIL_EXTRAS hook.

notify knows nothing of the playbook: it calls every registered extra when it renders a
mail. Ours adds, for mail about a request or a conflict, the recipient's top moves ("What
you can do", with links), so a long or heated thread's mails carry the same suggestion to
move to a call. An invitation's iCalendar REQUEST goes through notify's attachers
(`invitation_parts`).
"""

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

MAIL_MOVES = 3


def playbook_extra(notification):
    from .advisor import advise
    from .situations import subject_for_link

    now = timezone.now()
    if notification.kind == "playbook.invitation":
        return None
    person = notification.recipient
    subject = subject_for_link(notification.link, person, now) if notification.link else None
    if subject is None:
        return None
    advice = advise([subject], person, now).get(subject.link, [])
    steps, seen = [], set()
    for a in advice:  # in situation order: a heated thread's call comes first
        for s in a.steps:
            if not s.blocked and s.move not in seen:
                seen.add(s.move)
                steps.append((a, s))
    steps = steps[:MAIL_MOVES]
    if not steps:
        return None
    lines = ["What you can do:"]
    html = ["<p><strong>What you can do</strong></p><ol>"]
    for _, s in steps:
        url = f"{settings.SITE_URL}{s.url}"
        lines.append(f"- {s.label}: {s.reason} {url}")
        html.append(f'<li><a href="{escape(url)}">{escape(s.label)}</a> — {escape(s.reason)}</li>')
    html.append("</ol>")
    return {"text": "\n".join(lines), "html": "".join(html)}


def invitation_parts(notification):
    """notify attacher for "playbook.invitation": the .ics REQUEST (key playbook:invitation:<pk>:...)."""
    from email.mime.text import MIMEText

    from .invitations import invitation_ics
    from .models import Invitation

    parts = notification.dedupe_key.split(":")
    pk = parts[2] if len(parts) > 2 else ""
    invitation = Invitation.objects.select_related("organiser").filter(pk=pk).first() if pk.isdigit() else None
    if invitation is None:
        return []
    part = MIMEText(invitation_ics(invitation, notification.created_at).decode(), "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invitation.ics")
    return [part]
