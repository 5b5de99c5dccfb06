"""Which other teams an incident probably touched, and which ones could ally.

Proposed affected teams come from the dependency graph and the agenda: the teams owning
services that stand (transitively) on the services involved, and the teams whose events
depending on those services overlapped the change window (or the day of the incident)
— who depended on that service at that time. An event the viewer may not see (it is
confidential) still proposes its team, but only as "another team": the row carries a
signed token instead of the team's name, and inviting by that token never tells the
viewer who it was.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing

from liaison.agenda.conflicts import _walk_sql
from liaison.agenda.models import Event
from liaison.org.models import Service, Team

from .models import IncidentInvite

SALT = "liaison.incidents.team"
HIDDEN_REASON = "An event of theirs depended on it then"


@dataclass
class Proposal:
    team: Team | None          # None: "another team" the viewer may not know of
    token: str                 # signed team id, used to invite without revealing it
    reasons: list = field(default_factory=list)
    invited: bool = False
    on_agenda: bool = False     # an event of theirs depended on it then (strongest evidence)

    @property
    def label(self):
        return self.team.name if self.team is not None else "Another team"


def team_token(subject_key, team_id):
    return signing.dumps({"s": subject_key, "t": team_id}, salt=SALT)


def team_from_token(subject_key, token, field_name="team"):
    """The team a proposal token names, for this incident/alliance only."""
    from django.core.exceptions import ValidationError

    try:
        data = signing.loads(token, salt=SALT, max_age=60 * 60 * 24 * 30)
    except signing.BadSignature:
        raise ValidationError({field_name: "This proposal is not valid (any more); reload the page."}) from None
    if data.get("s") != subject_key:
        raise ValidationError({field_name: "This proposal belongs to another page; reload the page."})
    team = Team.objects.filter(pk=data.get("t")).first()
    if team is None:
        raise ValidationError({field_name: "That team no longer exists."})
    return team


def dependent_service_ids(service_ids):
    """The services standing on these, transitively (including them)."""
    return {row[0] for row in _walk_sql(list(service_ids), downward=False)}


def windows_of(incident):
    """The time windows in which depending on the services counted: the changes' windows,
    else the incident's day."""
    windows = [(c.start, c.end) for c in incident.changes.all()]
    if not windows:
        windows = [(incident.opened_at - timedelta(hours=12), incident.opened_at + timedelta(hours=12))]
    return windows


def affected_candidates(service_ids, windows, viewer, exclude_team_ids):
    """{team_id: Proposal} for the teams standing on `service_ids` during `windows`."""
    if not service_ids:
        return {}
    standing = dependent_service_ids(service_ids)
    proposals = {}
    visible = set(Event.objects.visible_to(viewer).values_list("pk", flat=True).filter(services__in=standing))
    for start, end in windows:
        events = (Event.objects.filter(services__in=standing, status=Event.Status.SCHEDULED)
                  .overlapping(start - timedelta(hours=0), end).select_related("team").distinct())
        for event in events:
            if event.team_id in exclude_team_ids:
                continue
            prop = proposals.setdefault(event.team_id, Proposal(team=None, token=""))
            prop.on_agenda = True
            if event.pk in visible:
                prop.team = event.team
                prop.reasons.append(f"Its event “{event.title}” depended on it then")
            else:
                prop.reasons.append(HIDDEN_REASON)
    for service in Service.objects.filter(pk__in=standing - set(service_ids)).select_related("team"):
        if service.team_id in exclude_team_ids:
            continue
        prop = proposals.setdefault(service.team_id, Proposal(team=None, token=""))
        prop.team = service.team  # the catalogue is public: the dependency is not a secret
        prop.reasons.append(f"Its service {service.name} depends on it")
    return proposals


def proposed_teams(incident, viewer):
    """Proposals for an incident, for `viewer`: teams not involved yet, invited flag set."""
    involved = set(incident.team_links.values_list("team_id", flat=True))
    if incident.service_team_id:
        involved.add(incident.service_team_id)
    service_ids = set(incident.services.values_list("pk", flat=True))
    proposals = affected_candidates(service_ids, windows_of(incident), viewer, involved)
    invited = set(IncidentInvite.objects.filter(incident=incident).values_list("team_id", flat=True))
    result = []
    for team_id, prop in proposals.items():
        prop.token = team_token(f"incident:{incident.pk}", team_id)
        prop.invited = team_id in invited
        reasons = list(dict.fromkeys(prop.reasons))
        if prop.team is not None:  # named through the catalogue: keep its hidden events unmentioned
            reasons = [r for r in reasons if r != HIDDEN_REASON]
        prop.reasons = reasons
        result.append(prop)
    # Teams with an event on the agenda then first: the catalogue alone proposes many teams.
    result.sort(key=lambda p: (not p.on_agenda, p.team is None, p.label))
    return result
