"""`{% bridges_between team_a team_b as rows %}` for network/_bridges.html, so any page
(the team page, a pair page) can include the bridges with just the two teams in context."""

from django import template
from django.utils import timezone

from liaison.network.graph import bridges

register = template.Library()


@register.simple_tag
def bridges_between(team_a, team_b, limit=10):
    if team_a is None or team_b is None:
        return []
    return bridges(team_a, team_b, timezone.localdate(), limit=limit)
