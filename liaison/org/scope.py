"""Lists that start from you: every list opens on the viewer's teams, the wider view (all
the viewer may see) is one click away, and the choice is remembered per list.

    scope = list_scope(request, "agenda.conflicts")
    if scope.mine:
        conflicts = conflicts.filter(...team__in=scope.team_ids...)
    # template: {% include "web/_scope.html" %}

The choice lives in the person's session (`?scope=mine|all` sets it, per list), so it
holds across pages and visits until they sign out. Someone in no team sees everything
they may see, with no choice to make. The wider view is still filtered by visibility:
this helper only narrows.
"""

from dataclasses import dataclass, field

from .models import Team

MINE, ALL = "mine", "all"
SCOPES = (MINE, ALL)


@dataclass
class Scope:
    name: str
    choice: str
    teams: list = field(default_factory=list)

    @property
    def mine(self):
        return self.choice == MINE and bool(self.teams)

    @property
    def team_ids(self):
        return [t.pk for t in self.teams]

    @property
    def team_names(self):
        return ", ".join(t.name for t in self.teams)


def list_scope(request, name):
    """The scope of list `name` for this request: ?scope=… (remembered), else the
    remembered choice, else the viewer's teams."""
    key = f"list_scope:{name}"
    asked = request.GET.get("scope", "")
    session = getattr(request, "session", None)
    if asked in SCOPES:
        choice = asked
        if session is not None and session.get(key) != asked:
            session[key] = asked
    else:
        choice = (session.get(key) if session is not None else None) or MINE
    user = request.user
    teams = list(Team.objects.filter(memberships__person=user).only("id", "name").order_by("name")) \
        if user.is_authenticated else []
    return Scope(name, choice, teams)
