"""Alliances of the affected: customer teams hit by the same service, with one shared ask.

Seed 002: together, the members make a clear case that is not personal between two leads,
and their numbers show what the service must do differently. For an incident or an agenda
conflict: the candidates are the other customer teams affected *now* (the same change,
through the dependency graph) and *before* (the same service, or the same kind of
disruption by the same service team, in the last 12 months) with the impacts they logged.
A team starts the alliance with an ask (a delay, a notice policy, a retrospective, ...),
invites others, each joins, adds its numbers (its own Impacts) and co-signs (its lead);
the service team's lead answers on the same page.

Privacy: a candidate the viewer may not know of (a confidential event, an incident they
may not see) is "another team", invited through a signed token, and its numbers are not
shown until it joins.
"""

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from liaison.notify.services import notify
from liaison.notify.webhooks import notify_team
from liaison.org.models import Team

from . import services
from .models import Alliance, AllianceMember, Impact, Incident, IncidentTeam
from .proposals import affected_candidates, team_token, windows_of

LOOKBACK = timedelta(days=365)


def subject_key(incident=None, conflict=None):
    return f"incident:{incident.pk}" if incident is not None else f"conflict:{conflict.pk}"


def _subject_services(incident, conflict):
    if incident is not None:
        return set(incident.services.values_list("pk", flat=True))
    return set(conflict.change.services.values_list("pk", flat=True))


def _subject_windows(incident, conflict):
    if incident is not None:
        return windows_of(incident)
    return [(conflict.change.start, conflict.change.end)]


def _service_team_id(incident, conflict):
    return incident.service_team_id if incident is not None else conflict.change.team_id


def related_incidents(incident=None, conflict=None):
    """Incidents about the same collision: this one, or those opened from the conflict or its change."""
    if incident is not None:
        return Incident.objects.filter(pk=incident.pk)
    return Incident.objects.filter(Q(conflict=conflict) | Q(changes=conflict.change)).distinct()


def candidates(*, viewer, now, incident=None, conflict=None, exclude_team_ids=()):
    """[{team, label, token, when, reasons, incidents, totals}] — now first, then before."""
    key = subject_key(incident, conflict)
    service_ids = _subject_services(incident, conflict)
    service_team_id = _service_team_id(incident, conflict)
    exclude = set(exclude_team_ids) | {service_team_id}
    rows = {}
    for team_id, prop in affected_candidates(service_ids, _subject_windows(incident, conflict), viewer,
                                             exclude).items():
        rows[team_id] = {"team": prop.team, "when": "now", "reasons": list(dict.fromkeys(prop.reasons)),
                         "incidents": [], "hidden_incidents": 0}
    visible = Incident.objects.visible_to(viewer)
    same_now = related_incidents(incident, conflict)
    for link in IncidentTeam.objects.filter(incident__in=same_now, role=IncidentTeam.Role.AFFECTED) \
            .exclude(team_id__in=exclude).select_related("team", "incident"):
        row = rows.setdefault(link.team_id, {"team": None, "when": "now", "reasons": [], "incidents": [],
                                             "hidden_incidents": 0})
        _add_incident(row, link, visible, "Affected by this very change")
    since = now - LOOKBACK
    earlier = (Incident.objects.filter(opened_at__gte=since, opened_at__lt=now)
               .filter(Q(services__in=service_ids) | Q(service_team_id=service_team_id))
               .exclude(pk__in=same_now.values("pk")).distinct())
    for link in IncidentTeam.objects.filter(incident__in=earlier, role=IncidentTeam.Role.AFFECTED) \
            .exclude(team_id__in=exclude).select_related("team", "incident"):
        row = rows.setdefault(link.team_id, {"team": None, "when": "before", "reasons": [], "incidents": [],
                                             "hidden_incidents": 0})
        _add_incident(row, link, visible, "Hit by the same service in the last 12 months")
    incident_ids = {i.pk for row in rows.values() for i in row["incidents"]}
    sums = defaultdict(list)
    if incident_ids:
        tot = services.totals(Incident.objects.filter(pk__in=incident_ids))
        for team in tot["teams"]:
            sums[team["team_id"]] = team["rows"]
    result = []
    for team_id, row in rows.items():
        row["token"] = team_token(key, team_id)
        row["label"] = row["team"].name if row["team"] is not None else "Another team"
        row["totals"] = sums.get(team_id, []) if row["team"] is not None else []
        row["reasons"] = list(dict.fromkeys(row["reasons"]))
        result.append(row)
    result.sort(key=lambda r: (r["when"] != "now", r["team"] is None, r["label"]))
    return result


def _add_incident(row, link, visible, reason):
    if visible.filter(pk=link.incident_id).exists():
        row["team"] = link.team
        row["incidents"].append(link.incident)
        row["reasons"].append(reason)
    else:
        row["hidden_incidents"] += 1
        row["reasons"].append(reason if row["team"] is not None else "An incident you may not see")


# --- who may do what ----------------------------------------------------------------------------

def joined_team_ids(alliance):
    return set(alliance.members.filter(joined_at__isnull=False).values_list("team_id", flat=True))


def _my_joined(alliance, by):
    return services.team_ids_of(by) & joined_team_ids(alliance)


def _tell(people, alliance, *, kind, subject, body="", key, now):
    notify([p for p in people if p is not None], kind=kind, subject=subject, body=body,
           link=alliance.get_absolute_url(), dedupe_key=key, now=now)


def _tell_teams(alliance, *, kind, subject, key, now):
    for team_id in joined_team_ids(alliance) | ({alliance.service_team_id} if alliance.service_team_id else set()):
        notify_team(team_id, kind=kind, subject=subject, link=alliance.get_absolute_url(),
                    dedupe_key=f"{key}:team{team_id}", now=now)


def _check_ask(errors, ask_kind, ask_text):
    if ask_kind not in Alliance.Ask.values:
        errors["ask_kind"] = f"{ask_kind!r} is not an ask; choose one of: {', '.join(Alliance.Ask.values)}."
    return services._text(errors, "ask_text", ask_text, "The ask, in a few sentences")


# --- operations -------------------------------------------------------------------------------

@transaction.atomic
def create_alliance(*, by, team, now, ask_kind, ask_text, incident=None, conflict=None):
    """A customer team affected by the incident (or the conflict's event team) starts an alliance."""
    if (incident is None) == (conflict is None):
        raise ValidationError({"incident": "An alliance is for one incident or one conflict."})
    if team.pk not in services.team_ids_of(by):
        raise PermissionDenied(f"Only members of {team} may start an alliance for it.")
    if incident is not None:
        customer = set(incident.team_links.filter(role=IncidentTeam.Role.AFFECTED).values_list("team_id", flat=True))
    else:
        customer = {conflict.event.team_id} if conflict.event_id else {conflict.freeze.team_id}
        customer |= set(IncidentTeam.objects.filter(incident__in=related_incidents(conflict=conflict),
                                                    role=IncidentTeam.Role.AFFECTED).values_list("team_id", flat=True))
    if team.pk not in customer:
        raise ValidationError({"team": f"{team} is not an affected customer team here; an alliance is started "
                                       "by a team that was hit."})
    errors = {}
    ask_text = _check_ask(errors, ask_kind, ask_text)
    services._raise(errors)
    alliance = Alliance.objects.create(incident=incident, conflict=conflict, ask_kind=ask_kind, ask_text=ask_text,
                                       service_team_id=_service_team_id(incident, conflict), created_by_team=team,
                                       created_by=by, created_at=now)
    AllianceMember.objects.create(alliance=alliance, team=team, invited_at=now, invited_by=by, joined_at=now,
                                  joined_by=by)
    if incident is not None:
        services.entry(incident, services.IncidentEntry.Kind.ALLIANCE, by=by, team=team, now=now,
                       text=f"{team} started an alliance: {alliance.get_ask_kind_display().lower()}.",
                       alliance=alliance.pk)
    return alliance


@transaction.atomic
def invite(alliance, team, *, by, now):
    """A member of an allied team invites another customer team (its lead is told)."""
    if not _my_joined(alliance, by):
        raise PermissionDenied("Only members of the allied teams may invite others.")
    if team.pk == alliance.service_team_id:
        raise ValidationError({"team": "The service team answers the alliance; it is not a member."})
    member, created = AllianceMember.objects.get_or_create(alliance=alliance, team=team,
                                                           defaults={"invited_at": now, "invited_by": by})
    if created and team.lead_id:
        _tell([team.lead_id], alliance, kind="incident.alliance.invited",
              subject=f"Join an alliance: {alliance.get_ask_kind_display()}",
              body=f"{alliance.created_by_team} and others affected by the same service ask together:\n\n"
                   f"{alliance.ask_text}\n\nJoin, add your numbers and co-sign if it matches what you lived.",
              key=f"incident.alliance.invited:{alliance.pk}:{team.pk}", now=now)
    return member


@transaction.atomic
def join(alliance, team, *, by, now):
    """An invited team joins (one click). For an incident's alliance, it joins the incident
    too, so it can log its own impacts there: its numbers are its Impacts."""
    if team.pk not in services.team_ids_of(by):
        raise PermissionDenied(f"Only members of {team} may join it to an alliance.")
    member = AllianceMember.objects.select_for_update().filter(alliance=alliance, team=team).first()
    if member is None:
        raise ValidationError({"team": f"{team} has not been invited to this alliance."})
    if member.joined_at is None:
        member.joined_at, member.joined_by = now, by
        member.save(update_fields=["joined_at", "joined_by"])
        if alliance.incident_id:
            services.join(alliance.incident, team, by=by, now=now)
        _tell_teams(alliance, kind="incident.alliance.joined", subject=f"{team} joined the alliance",
                    key=f"incident.alliance.joined:{alliance.pk}:{team.pk}", now=now)
    return member


@transaction.atomic
def sign(alliance, team, *, by, now):
    """The team's lead co-signs the ask for the team."""
    if team.lead_id != by.pk:
        raise PermissionDenied(f"The lead of {team} co-signs for it.")
    member = AllianceMember.objects.select_for_update().filter(alliance=alliance, team=team).first()
    if member is None or member.joined_at is None:
        raise ValidationError({"team": f"{team} joins the alliance before it co-signs."})
    if member.signed_at is None:
        member.signed_at, member.signed_by = now, by
        member.save(update_fields=["signed_at", "signed_by"])
        lead = alliance.service_team.lead_id if alliance.service_team_id else None
        signed = alliance.members.filter(signed_at__isnull=False).count()
        _tell([lead], alliance, kind="incident.alliance.signed",
              subject=f"{signed} team{'s' if signed != 1 else ''} co-signed: {alliance.get_ask_kind_display()}",
              body=f"{team} co-signed:\n\n{alliance.ask_text}\n\nYou can answer on the alliance page.",
              key=f"incident.alliance.signed:{alliance.pk}:{team.pk}", now=now)
    return member


@transaction.atomic
def update_ask(alliance, *, by, now, ask_kind, ask_text):
    """The ask changes only before anyone co-signed it (a signature is on a text)."""
    if not _my_joined(alliance, by):
        raise PermissionDenied("Only members of the allied teams may change the ask.")
    if alliance.members.filter(signed_at__isnull=False).exists():
        raise ValidationError({"ask_text": "Teams have co-signed this ask; start a new alliance for another."})
    errors = {}
    ask_text = _check_ask(errors, ask_kind, ask_text)
    services._raise(errors)
    alliance.ask_kind, alliance.ask_text = ask_kind, ask_text
    alliance.save(update_fields=["ask_kind", "ask_text"])
    return alliance


@transaction.atomic
def answer(alliance, *, by, text, now):
    """The service team's lead answers the ask on the alliance page (and may answer again)."""
    if alliance.service_team is None or alliance.service_team.lead_id != by.pk:
        raise PermissionDenied("The service team's lead answers the alliance.")
    errors = {}
    text = services._text(errors, "answer", text, "The answer")
    services._raise(errors)
    alliance.answer, alliance.answered_at, alliance.answered_by = text, now, by
    alliance.save(update_fields=["answer", "answered_at", "answered_by"])
    people = [m.team.lead_id for m in alliance.members.filter(joined_at__isnull=False).select_related("team")]
    _tell(people, alliance, kind="incident.alliance.answered", subject=f"{by} answered the alliance",
          body=text, key=f"incident.alliance.answered:{alliance.pk}:{now.timestamp():.0f}", now=now)
    _tell_teams(alliance, kind="incident.alliance.answered", subject=f"{alliance.service_team} answered the alliance",
                key=f"incident.alliance.answered:{alliance.pk}:{now.timestamp():.0f}", now=now)
    return alliance


def numbers(alliance):
    """Each joined team's own impacts on the alliance's incident(s): services.totals shape."""
    incidents = related_incidents(alliance.incident, alliance.conflict) if alliance.incident_id is None \
        else Incident.objects.filter(pk=alliance.incident_id)
    teams = joined_team_ids(alliance)
    impacts = Impact.objects.filter(incident__in=incidents, team_id__in=teams)
    result = services.totals(incidents, team_ids=teams)
    result["entries"] = impacts.count()
    reported = {t["team_id"] for t in result["teams"]}
    result["silent"] = list(Team.objects.filter(pk__in=teams - reported).order_by("name"))
    return result
