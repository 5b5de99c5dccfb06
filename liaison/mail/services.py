"""Who may look at the mail that waits for people: the rules the pages and the links share.

The querysets themselves are InboundMessage.objects.triage_visible_to / quarantine_visible_to;
these functions answer the yes/no questions a page or a link needs before any row is read
(may this person open team X's triage queue? the quarantine?), with the same rules.
"""

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
