"""Which team depends on which: the pairs the nudge sweep looks at.

A dependency source is a function `source(now) -> iterable of (team_id, other_team_id)`
meaning "team depends on other_team". The directory's service graph is built in; the
requests domain (requests a team makes of another) and the agenda (events a team depends
on) register their own in their AppConfig.ready(), so network never imports them:

    from liaison.network.dependencies import register_dependency_source

    @register_dependency_source("requests")
    def teams_requesting(now):
        cutoff = now - timedelta(days=180)
        return (Request.objects.filter(created_at__gte=cutoff)
                .values_list("requester_team_id", "service__team_id").distinct())
"""

from django.db.models import F

from liaison.org.models import ServiceDependency

_sources = {}


def register_dependency_source(name):
    def register(func):
        _sources[name] = func
        return func

    return register


def sources():
    return dict(_sources)


@register_dependency_source("services")
def service_dependencies(now):
    """A team whose services depend on another team's services depends on that team."""
    return (ServiceDependency.objects.exclude(service__team_id=F("depends_on__team_id"))
            .values_list("service__team_id", "depends_on__team_id").distinct())


def team_dependencies(now):
    """{(team_id, other_team_id): [source names]} from every registered source."""
    pairs = {}
    for name, source in sources().items():
        for team_id, other_id in source(now):
            if team_id and other_id and team_id != other_id:
                pairs.setdefault((team_id, other_id), []).append(name)
    return pairs
