"""Relationship health over HTTP, under /api/v1/insights/. Read-only and thin: the same
scorecards and ranking as the pages, with the same visibility (404 for a pair or team
the caller may not see). The fairness audit is page-only: it is logged per run and
meant for a person, not a script.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema

from liaison.org.models import Team
from liaison.org.schemas import Message
from liaison.org.visibility import may_read_pair, may_read_team

from .models import RequestFact
from .scorecards import pair_scorecard, partner_ranking

router = Router(tags=["insights"])
READ = {401: Message, 404: Message}


class Figure(Schema):
    measure: str
    label: str
    value: float | None
    lo: float | None
    hi: float | None
    n: int
    unit: str
    enough: bool
    note: str


class Direction(Schema):
    provider_team: str
    customer_team: str
    requests: int
    provider_side: list[Figure]
    customer_side: list[Figure]


class Partner(Schema):
    team: str
    name: str
    health: float | None
    requests: int


def _team(user, slug):
    """A team whose figures `user` may read (liaison.org.visibility); else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not may_read_team(user, team):
        raise Http404
    return team


@router.get("/insights/pairs/{a}/{b}", response={200: list[Direction], **READ})
def pair(request, a: str, b: str, months: int = 12):
    """Both directions between two teams: every figure with its sample size and 95 % interval."""
    team_a, team_b = get_object_or_404(Team, slug=a), get_object_or_404(Team, slug=b)
    if not may_read_pair(request.user, team_a, team_b):
        raise Http404
    cards = pair_scorecard(RequestFact.objects.visible_to(request.user), team_a, team_b, now=timezone.now(),
                           months=min(max(months, 3), 36))
    def figures(side):
        return [{**f, "measure": f["key"]} for f in side]

    return [{"provider_team": c["provider_team"].slug, "customer_team": c["customer_team"].slug,
             "requests": c["requests"], "provider_side": figures(c["provider"]),
             "customer_side": figures(c["customer"])} for c in cards]


@router.get("/insights/teams/{slug}/partners", response={200: list[Partner], **READ})
def partners(request, slug: str, months: int = 12):
    """The team's partners, worst relationship first."""
    team = _team(request.user, slug)
    ranking = partner_ranking(RequestFact.objects.visible_to(request.user), team, now=timezone.now(),
                              months=min(max(months, 3), 36))
    return [{"team": r["team"].slug, "name": r["team"].name, "health": r["health"], "requests": r["requests"]}
            for r in ranking]
