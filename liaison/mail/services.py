"""Who may look at the mail that waits for people: the rules the pages and the links share.

The querysets themselves are InboundMessage.objects.triage_visible_to / quarantine_visible_to;
these functions answer the yes/no questions a page or a link needs before any row is read
(may this person open team X's triage queue? the quarantine?), with the same rules.
"""

from django.db.models import Q

from liaison.core.notices import Notice
from liaison.org.models import Membership


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


def may_triage(user, team):
    """A team's mail triage is read by the team's members; org admins read every team's."""
    if not _active(user):
        return False
    return user.is_org_admin or Membership.objects.filter(person_id=user.pk, team_id=team.pk).exists()


def may_see_quarantine(user):
    """The quarantine holds raw mail of any sender, unprocessed: org admins only."""
    return _active(user) and user.is_org_admin


def request_notices(user, request):
    """What the request's page says about the mail it came from: a Reply-To that is not
    the sender, a reused Message-ID, and the other requests one mail to several services'
    intake addresses filed (linked when the viewer may see them)."""
    from liaison.requests.models import Request

    from .models import InboundMessage

    out = []
    rows = (InboundMessage.objects.filter(Q(request=request) | Q(filed_requests=request)).distinct()
            .only("sender", "reply_to", "message_id", "message_id_reused"))
    for row in rows:
        out += [Notice(f"From mail: {text}") for text in row.warnings]
        others = row.filed_requests.exclude(pk=request.pk).select_related("service")
        if not others:
            continue
        visible = set(Request.objects.visible_to(user).filter(pk__in=[o.pk for o in others])
                      .values_list("pk", flat=True))
        links = tuple((f"#{o.pk} {o.service.name}", o.get_absolute_url()) for o in others if o.pk in visible)
        hidden = len(others) - len(links)
        text = "The same mail also went to other services' intake addresses; each got a request of its own"
        text += f" ({hidden} you cannot open)." if hidden else ":"
        out.append(Notice(text, links=links, level="info"))
    return out
