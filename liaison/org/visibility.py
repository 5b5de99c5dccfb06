"""Who may see a team's work: the one rule every door, list, count, search and export uses.

A person reads a team's work (its requests, its inbox, its forecast demand, the facts and
figures of its relationships, its exports) when they

- belong to the team (Membership), or
- lead the team or one of its ancestor teams, or manage — directly or up the
  Person.manager chain — someone who does (``scope_team_ids``).

Nobody else does: not org admins, not auditors, not superusers. Figures are aggregates,
but they are the requests' figures, so they follow the requests' visibility; auditors
read sensitive attributes only through the fairness audit, in aggregate.

Functions (the only place this rule is written):

- ``member_team_ids(user)``: the teams they belong to (per-process cache, liaison.org.cache);
- ``scope_team_ids(user)``: the teams they see as a lead or manager up the tree;
- ``readable_team_ids(user)``: both;
- ``may_read_team(user, team)``: one team (the inbox, forecast demand, a team's figures);
- ``may_read_pair(user, a, b)``: a relationship between two teams (either side will do);
- ``team_work_condition(user, *team_fields, person_field=None)``: the queryset filter for
  rows that belong to teams (requests, request facts), used by their ``visible_to``.

The directory itself (people, teams, services) is open to everyone signed in:
``DirectoryQuerySet.visible_to`` in liaison.org.models.
"""

from django.db.models import Exists, OuterRef, Q

from . import cache
from .models import Membership, Person, Team


def _signed_in(user):
    return user is not None and user.is_authenticated and user.is_active


def member_team_ids(user):
    """Ids of the teams `user` belongs to (frozenset; empty for the anonymous)."""
    if not _signed_in(user):
        return frozenset()
    return cache.member_team_ids(user.pk)


def scope_team_ids(user):
    """Ids of teams whose work `user` sees as a lead or a manager up the tree.

    A person sees a team's work when they lead it, lead one of its ancestor teams, or
    manage (directly or not, through Person.manager) someone who does. For most people
    (no reports, no team led) this costs two small queries; the result is kept on the
    user object for the rest of the HTTP request (this function is its only reader).
    """
    if not _signed_in(user):
        return frozenset()
    cached = getattr(user, "_request_scope_team_ids", None)
    if cached is not None:
        return cached
    leaders, frontier = {user.pk}, [user.pk]
    while frontier:  # the reports tree, one query per level
        frontier = [pk for pk in Person.objects.filter(manager_id__in=frontier).values_list("pk", flat=True)
                    if pk not in leaders]
        leaders.update(frontier)
    teams = set(Team.objects.filter(lead_id__in=leaders).values_list("pk", flat=True))
    frontier = list(teams)
    while frontier:  # the sub-teams, one query per level
        frontier = [pk for pk in Team.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
                    if pk not in teams]
        teams.update(frontier)
    user._request_scope_team_ids = frozenset(teams)
    return user._request_scope_team_ids


def readable_team_ids(user):
    """Every team whose work `user` may read: their own teams and their scope."""
    return member_team_ids(user) | scope_team_ids(user)


def may_read_team(user, team):
    """May `user` read this team's work (inbox, forecast demand, figures)?"""
    team_id = getattr(team, "pk", team)
    return _signed_in(user) and (team_id in member_team_ids(user) or team_id in scope_team_ids(user))


def may_read_pair(user, a, b):
    """May `user` read the relationship between teams `a` and `b`? One side is enough (the
    figures shown are then only those of requests `user` may see); a team with itself is
    no relationship."""
    a_id, b_id = getattr(a, "pk", a), getattr(b, "pk", b)
    return a_id != b_id and (may_read_team(user, a_id) or may_read_team(user, b_id))


def team_work_condition(user, *team_fields, person_field=None):
    """A Q for rows of teams' work `user` may read, or None when they may read nothing.

    `team_fields` name the rows' team id columns (e.g. "requester_team_id",
    "provider_team_id"); `person_field` a person who sees the row whatever their teams
    (the requester of a request). Membership is an EXISTS per team column (no list of
    ids in the SQL, so the plan does not depend on how many teams a person has); the
    lead/manager scope is an IN list.
    """
    if not _signed_in(user):
        return None
    mine = Membership.objects.filter(person_id=user.pk)
    condition = Q(pk__in=[])
    if person_field:
        condition = Q(**{person_field: user.pk})
    for field in team_fields:
        condition |= Exists(mine.filter(team_id=OuterRef(field)))
    scope = scope_team_ids(user)
    if scope:
        for field in team_fields:
            condition |= Q(**{f"{field}__in": scope})
    return condition
