
"""Operations on incidents: one function per business action, called by every door.

Each action takes the actor (`by`) and `now`; checks who may do it (PermissionDenied),
checks the input (ValidationError naming the field) before anything is written; then, in
one transaction, changes the incident, appends a timeline entry, and tells people through
liaison.notify (mail, digest-aware) and the teams' webhooks. Nothing here sends mail.

Retrospectives live in retrospectives.py and alliances in alliances.py; the proposals of
affected teams (dependency graph + agenda) in proposals.py.
"""

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum

from liaison.agenda.models import Change, Conflict, Event
from liaison.notify.services import notify
from liaison.notify.webhooks import notify_team
from liaison.org.models import Membership, Person, Service, Team
from liaison.requests.models import Request

from .models import (
    Impact,
    Incident,
    IncidentEntry,
    IncidentInvite,
    IncidentTeam,
    Kind,
    Status,
    Unit,
    severity_for,
)

TITLE_MAX = 200
AMOUNT_MAX = Decimal("999999999999")


# --- who is who ---------------------------------------------------------------------------

def team_ids_of(person):
    """Ids of the teams `person` belongs to, cached on the object for the HTTP request."""
    cached = getattr(person, "_incident_team_ids", None)
    if cached is None:
        cached = person._incident_team_ids = frozenset(
            Membership.objects.filter(person_id=person.pk).values_list("team_id", flat=True))
    return cached


def involved_team_ids(incident):
    return set(incident.team_links.values_list("team_id", flat=True))


def affected_team_ids(incident):
    return set(incident.team_links.filter(role=IncidentTeam.Role.AFFECTED).values_list("team_id", flat=True))


def is_involved(person, incident):
    """A member of one of the incident's teams (service or affected)."""
    return bool(team_ids_of(person) & involved_team_ids(incident))


def require_involved(person, incident, action):
    if not is_involved(person, incident):
        raise PermissionDenied(f"Only members of the teams involved in this incident may {action}.")


def leads_of(incident, role=None):
    """The active leads of the incident's teams (optionally one role), without duplicates."""
    links = incident.team_links.select_related("team__lead")
    if role:
        links = links.filter(role=role)
    seen, leads = set(), []
    for link in links:
        lead = link.team.lead
        if lead is not None and lead.is_active and lead.pk not in seen:
            seen.add(lead.pk)
            leads.append(lead)
    return leads


# --- small helpers -------------------------------------------------------------------------

def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _text(errors, field, value, what, required=True, max_length=None):
    value = (value or "").strip()
    if required and not value:
        errors[field] = f"{what} is required."
    elif max_length and len(value) > max_length:
        errors[field] = f"{what} is at most {max_length} characters (it has {len(value)})."
    return value


def entry(incident, kind, *, by=None, team=None, text="", now, **data):
    return IncidentEntry.objects.create(incident=incident, kind=kind, author=by, team=team, text=text, at=now,
                                        data=data)


def _touch(incident, now, *fields):
    incident.updated_at = now
    incident.save(update_fields=["updated_at", *fields])


def tell(people, incident, *, kind, subject, body="", key, now, link=None):
    """Mail people about an incident through the one outbox (their preferences decide:
    immediately, in the daily digest, or not at all)."""
    notify([p for p in people if p is not None], kind=kind, subject=subject, body=body,
           link=link or incident.get_absolute_url(), dedupe_key=key, now=now)


def tell_teams(team_ids, incident, *, kind, subject, body="", key, now):
    """The incident's event to each team's chat webhooks (signed, retried by notify)."""
    for team_id in set(team_ids):
        notify_team(team_id, kind=kind, subject=subject, body=body, link=incident.get_absolute_url(),
                    dedupe_key=f"{key}:team{team_id}", now=now)


def _lock(incident):
    fresh = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
    incident.status, incident.severity = fresh.status, fresh.severity
    incident.stable_at, incident.closed_at = fresh.stable_at, fresh.closed_at
    return incident


# --- opening ------------------------------------------------------------------------------

def _opener_team(by, team, service_team_id):
    mine = team_ids_of(by)
    if team is None:
        candidates = [t for t in mine if t != service_team_id]
        if len(candidates) == 1:
            return Team.objects.get(pk=candidates[0])
        raise ValidationError({"team": "Say which of your teams is affected." if candidates
                               else "You belong to no team that could be affected; an incident is opened by "
                                    "someone in an affected team."})
    if team.pk not in mine:
        raise ValidationError({"team": f"You can open an incident only for a team you belong to, not {team}."})
    if service_team_id and team.pk == service_team_id:
        raise ValidationError({"team": f"{team} is the service side here; the incident is opened by an "
                                       "affected team."})
    return team


def _visible_or_error(queryset, obj, by, field, what):
    if obj is not None and not queryset.visible_to(by).filter(pk=obj.pk).exists():
        raise ValidationError({field: f"No {what} #{obj.pk} that you may see."})


@transaction.atomic
def open_incident(*, by, now, title, summary="", team=None, kind=None, conflict=None, change=None, request=None,
                  services=(), service_team=None, occurred_at=None):
    """Open an incident as someone in an affected team, from a conflict, a change, a request, or on its own.

    Links what it came from: a conflict links its change, its event and the change's
    services, and makes the change's team the service side; a change links itself and its
    services; a request links itself, its service and the provider team. The opener's team
    joins as affected, the service side as service; a retrospective is proposed at once when
    the incident touches another team (retrospectives.presume).
    """
    errors = {}
    title = _text(errors, "title", title, "A title", max_length=TITLE_MAX)
    summary = _text(errors, "summary", summary, "A summary", required=False)
    if kind is not None and kind not in Kind.values:
        errors["kind"] = f"{kind!r} is not a kind of incident; choose one of: {', '.join(Kind.values)}."
    _raise(errors)
    _visible_or_error(Conflict.objects, conflict, by, "conflict", "conflict")
    _visible_or_error(Change.objects, change, by, "change", "change")
    _visible_or_error(Request.objects, request, by, "request", "request")
    changes, events, requests_, services = [], [], [], list(services)
    if conflict is not None:
        change = change or conflict.change
        if conflict.event_id:
            events.append(conflict.event)
    if change is not None:
        changes.append(change)
        services += list(change.services.all())
        service_team = service_team or change.team
    if request is not None:
        requests_.append(request)
        services.append(request.service)
        service_team = service_team or request.provider_team
    if service_team is None and services:
        teams = {s.team_id for s in services}
        if len(teams) == 1:
            service_team = services[0].team
    if team is None and conflict is not None and conflict.event_id and conflict.event.team_id in team_ids_of(by):
        team = conflict.event.team
    if team is None and request is not None and request.requester_team_id in team_ids_of(by):
        team = request.requester_team
    team = _opener_team(by, team, service_team.pk if service_team else None)
    if kind is None:
        kind = Kind.CHANGE_COLLISION if change is not None else (
            Kind.MISSED_COMMITMENT if request is not None else Kind.OTHER)
    incident = Incident.objects.create(
        title=title, summary=summary, kind=kind, opened_at=now, opened_by=by, updated_at=now,
        service_team=service_team, conflict=conflict)
    incident.changes.set(changes)
    incident.events.set(events)
    incident.requests.set(requests_)
    incident.services.set({s.pk for s in services})
    IncidentTeam.objects.create(incident=incident, team=team, role=IncidentTeam.Role.AFFECTED, joined_at=now,
                                joined_by=by)
    if service_team is not None:
        IncidentTeam.objects.create(incident=incident, team=service_team, role=IncidentTeam.Role.SERVICE,
                                    joined_at=now, joined_by=by)
    entry(incident, IncidentEntry.Kind.OPENED, by=by, team=team, now=occurred_at or now,
          text=summary, source=_source_words(conflict, change, request))
    subject = f"Incident opened: {title}"
    body = f"{by} ({team}) opened an incident. No blame while it is happening: log what happened and its " \
           f"consequences in numbers.\n\n{summary}".strip()
    if service_team is not None and service_team.lead_id:
        tell([service_team.lead_id], incident, kind="incident.opened", subject=subject, body=body,
             key=f"incident.opened:{incident.pk}", now=now)
    tell_teams([team.pk] + ([service_team.pk] if service_team else []), incident, kind="incident.opened",
               subject=subject, body=summary, key=f"incident.opened:{incident.pk}", now=now)
    from .retrospectives import presume

    presume(incident, now=now)
    return incident


def _source_words(conflict, change, request):
    if conflict is not None:
        return f"conflict #{conflict.pk}"
    if change is not None:
        return f"change #{change.pk}"
    if request is not None:
        return f"request #{request.pk}"
    return ""


# --- teams --------------------------------------------------------------------------------

@transaction.atomic
def invite_team(incident, team, *, by, now):
    """Ask a team (proposed from the graph and the agenda, or chosen) to look at the incident.

    Any member of an involved team may invite; the invited team's lead is told, and the
    team's members see the incident until they join or not. Inviting twice changes nothing.
    """
    require_involved(by, incident, "invite another team")
    if team.pk in involved_team_ids(incident):
        raise ValidationError({"team": f"{team} is already in this incident."})
    invite, created = IncidentInvite.objects.get_or_create(incident=incident, team=team,
                                                           defaults={"invited_at": now, "invited_by": by})
    if created and team.lead_id:
        tell([team.lead_id], incident, kind="incident.invited", subject=f"Is your team affected? {incident.title}",
             body=f"{by} thinks {team} may be affected by this incident. If so, join it in one click and log "
                  "what it costs you, in numbers.", key=f"incident.invited:{incident.pk}:{team.pk}", now=now)
    return invite


@transaction.atomic
def join(incident, team, *, by, now):
    """One click: `by`'s team joins the incident as affected (the service side as service)."""
    if team.pk not in team_ids_of(by):
        raise PermissionDenied(f"Only members of {team} may join it to an incident.")
    _lock(incident)
    if incident.status == Status.CLOSED:
        raise ValidationError({"status": "This incident is closed; reopen it first."})
    role = IncidentTeam.Role.SERVICE if team.pk == incident.service_team_id else IncidentTeam.Role.AFFECTED
    link, created = IncidentTeam.objects.get_or_create(
        incident=incident, team=team, defaults={"role": role, "joined_at": now, "joined_by": by})
    if not created:
        return link
    IncidentInvite.objects.filter(incident=incident, team=team).delete()
    entry(incident, IncidentEntry.Kind.TEAM_JOINED, by=by, team=team, now=now, role=role)
    _touch(incident, now)
    tell_teams(involved_team_ids(incident), incident, kind="incident.joined",
               subject=f"{team} joined the incident: {incident.title}", key=f"incident.joined:{incident.pk}:{team.pk}",
               now=now)
    from .retrospectives import presume

    presume(incident, now=now)
    return link


# --- impacts ------------------------------------------------------------------------------

def _amount(errors, value):
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
        errors["amount"] = f"{value!r} is not a number."
        return None
    if amount is None:
        errors["amount"] = "An amount is required (a number in the unit chosen)."
    elif not amount.is_finite() or abs(amount) > AMOUNT_MAX:
        errors["amount"] = "That amount is out of range."
    elif amount == 0:
        errors["amount"] = "An amount of zero records nothing; a correction is a negative amount."
    return amount.quantize(Decimal("0.01")) if amount is not None and "amount" not in errors else None


@transaction.atomic
def log_impact(incident, *, by, team, unit, amount, what_happened, now, occurred_at=None, unit_label=""):
    """Append a consequence in numbers, for one's own team. Never edited: a correction is a
    new entry with a negative amount. Severity is recomputed from the new totals."""
    if team.pk not in team_ids_of(by):
        raise PermissionDenied(f"Each team logs its own impacts: only members of {team} may log them for it.")
    if team.pk not in involved_team_ids(incident):
        raise ValidationError({"team": f"{team} is not in this incident yet: join it first."})
    errors = {}
    what_happened = _text(errors, "what_happened", what_happened, "What happened")
    if unit not in Unit.values:
        errors["unit"] = f"{unit!r} is not a unit; choose one of: {', '.join(Unit.values)}."
    unit_label = (unit_label or "").strip()
    if unit == Unit.OTHER and not unit_label:
        errors["unit_label"] = "Name the unit (e.g. 'support tickets', 'lost sales leads')."
    elif unit == Unit.MONEY:
        unit_label = unit_label.upper()
        if len(unit_label) != 3 or not unit_label.isalpha():
            errors["unit_label"] = "Give the currency as a three-letter code (e.g. EUR, USD)."
    elif unit not in (Unit.OTHER, Unit.MONEY):
        unit_label = ""
    if len(unit_label) > 40:
        errors["unit_label"] = "The unit's name is at most 40 characters."
    amount = _amount(errors, amount)
    occurred_at = occurred_at or now
    if occurred_at > now:
        errors["occurred_at"] = "An impact is logged when it has happened, not before."
    _raise(errors)
    _lock(incident)
    if incident.status == Status.CLOSED:
        raise ValidationError({"status": "This incident is closed; reopen it to log more impacts."})
    impact = Impact.objects.create(incident=incident, team=team, logged_by=by, occurred_at=occurred_at,
                                   logged_at=now, what_happened=what_happened, unit=unit, unit_label=unit_label,
                                   amount=amount)
    entry(incident, IncidentEntry.Kind.IMPACT, by=by, team=team, now=occurred_at, text=what_happened,
          impact=impact.pk, unit=unit, unit_label=unit_label, amount=str(amount), name=unit_name(unit, unit_label))
    recompute(incident, now)
    return impact


def recompute(incident, now):
    """Store the severity the impacts reach (models.severity_for); returns it."""
    totals = {}
    for row in incident.impacts.filter(unit__in=[u for u in Unit.values if u not in (Unit.MONEY, Unit.OTHER)]) \
            .values("unit").annotate(total=Sum("amount")):
        totals[row["unit"]] = row["total"]
    severity = severity_for(totals)
    if severity != incident.severity:
        incident.severity = severity
    _touch(incident, now, "severity")
    return severity


def unit_name(unit, label):
    if unit == Unit.MONEY:
        return label or "money"
    if unit == Unit.OTHER:
        return label
    return Unit(unit).label.lower()


def totals(incidents, team_ids=None):
    """Totals per unit, per team, with who reported them, for one incident or a queryset.

    {"units": [{"unit", "label", "name", "total", "teams"}],
     "teams": [{"team", "rows": [{"unit","label","name","total","entries"}], "reporters": [names]}]}
    One aggregate query plus one for the reporters' names.
    """
    qs = Impact.objects.filter(incident__in=incidents) if not isinstance(incidents, Incident) \
        else Impact.objects.filter(incident=incidents)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    rows = list(qs.values("team_id", "team__name", "unit", "unit_label")
                .annotate(total=Sum("amount"), entries=Count("id")).order_by("team__name", "unit", "unit_label"))
    reporters = defaultdict(set)
    for team_id, name in qs.values_list("team_id", "logged_by__name").distinct():
        reporters[team_id].add(name)
    units, teams = {}, {}
    for row in rows:
        key = (row["unit"], row["unit_label"])
        name = unit_name(*key)
        u = units.setdefault(key, {"unit": row["unit"], "label": row["unit_label"], "name": name,
                                   "total": Decimal(0), "teams": 0})
        u["total"] += row["total"]
        u["teams"] += 1
        t = teams.setdefault(row["team_id"], {"team_id": row["team_id"], "team": row["team__name"], "rows": [],
                                              "reporters": sorted(reporters[row["team_id"]])})
        t["rows"].append({"unit": row["unit"], "label": row["unit_label"], "name": name, "total": row["total"],
                          "entries": row["entries"]})
    order = {u: i for i, u in enumerate(Unit.values)}
    return {"units": sorted(units.values(), key=lambda u: (order[u["unit"]], u["label"])),
            "teams": list(teams.values())}


# --- notes, status, causes -----------------------------------------------------------------

@transaction.atomic
def add_note(incident, *, by, text, now):
    """A line on the timeline: what is happening now (no root-causing while open)."""
    require_involved(by, incident, "add to the timeline")
    errors = {}
    text = _text(errors, "text", text, "The note")
    _raise(errors)
    _touch(incident, now)
    return entry(incident, IncidentEntry.Kind.NOTE, by=by, now=now, text=text)


def _status_change(incident, *, by, now, to, allowed, kind, text="", stamp=None):
    require_involved(by, incident, "change its status")
    _lock(incident)
    if incident.status not in allowed:
        names = " or ".join(Status(s).label.lower() for s in allowed)
        raise ValidationError({"status": f"This incident is {incident.get_status_display().lower()}; it can be "
                                         f"marked {Status(to).label.lower()} only when it is {names}."})
    incident.status = to
    fields = ["status"]
    if stamp:
        setattr(incident, stamp, now)
        fields.append(stamp)
    _touch(incident, now, *fields)
    entry(incident, kind, by=by, now=now, text=text)
    subject = f"Incident {Status(to).label.lower()}: {incident.title}"
    people = leads_of(incident)
    tell(people, incident, kind=f"incident.{to}", subject=subject, body=f"{by}: {text}".strip(": "),
         key=f"incident.status:{incident.pk}:{incident.entries.count()}", now=now)
    tell_teams(involved_team_ids(incident), incident, kind=f"incident.{to}", subject=subject, body=text,
               key=f"incident.status:{incident.pk}:{incident.entries.count()}", now=now)
    return incident


@transaction.atomic
def mark_stable(incident, *, by, now, text=""):
    """The disruption is contained. From here on, causes and contributing factors may be written."""
    return _status_change(incident, by=by, now=now, to=Status.STABLE, allowed=(Status.OPEN,),
                          kind=IncidentEntry.Kind.STABLE, text=(text or "").strip(), stamp="stable_at")


@transaction.atomic
def close(incident, *, by, now, text=""):
    """Closed: nothing more is expected. Reopening keeps the whole history."""
    return _status_change(incident, by=by, now=now, to=Status.CLOSED, allowed=(Status.STABLE,),
                          kind=IncidentEntry.Kind.CLOSED, text=(text or "").strip(), stamp="closed_at")


@transaction.atomic
def reopen(incident, *, by, now, reason):
    """Back to open (it flared up again): a reason is required; the timeline keeps what was before."""
    errors = {}
    reason = _text(errors, "reason", reason, "A reason to reopen")
    _raise(errors)
    return _status_change(incident, by=by, now=now, to=Status.OPEN, allowed=(Status.STABLE, Status.CLOSED),
                          kind=IncidentEntry.Kind.REOPENED, text=reason)


def _names_in(text, incident):
    """Names of people in the incident's teams that the text mentions (whole name)."""
    if not text:
        return []
    people = Person.objects.filter(memberships__team__in=involved_team_ids(incident), is_active=True).distinct()
    lowered = text.lower()
    return sorted({p.name for p in people.only("name") if p.name and len(p.name) > 3 and p.name.lower() in lowered})


@transaction.atomic
def write_causes(incident, *, by, now, causes, contributing_factors=""):
    """Causes and contributing factors: only once stable (no root-causing while it is
    happening), and about systems and circumstances — a text naming a person of the teams
    involved is refused, so no record ever says who was at fault."""
    require_involved(by, incident, "write its causes")
    _lock(incident)
    if incident.status == Status.OPEN:
        raise ValidationError({"causes": "Causes and contributing factors are written once the incident is "
                                         "stable; while it is open, log what happens and its consequences."})
    errors = {}
    causes = _text(errors, "causes", causes, "Causes")
    contributing_factors = _text(errors, "contributing_factors", contributing_factors, "Contributing factors",
                                 required=False)
    for field, value in (("causes", causes), ("contributing_factors", contributing_factors)):
        named = _names_in(value, incident)
        if named and field not in errors:
            errors[field] = (f"Describe systems, processes and circumstances, not people: this names "
                             f"{', '.join(named)}. A retrospective is blameless.")
    _raise(errors)
    incident.causes, incident.contributing_factors = causes, contributing_factors
    _touch(incident, now, "causes", "contributing_factors")
    entry(incident, IncidentEntry.Kind.CAUSES, by=by, now=now, text=causes)
    return incident


# --- links --------------------------------------------------------------------------------

@transaction.atomic
def link(incident, *, by, now, change=None, event=None, request=None, service=None):
    """Link another change, event, request or service the viewer may see."""
    require_involved(by, incident, "link items to it")
    for obj, qs, field in ((change, Change.objects, "change"), (event, Event.objects, "event"),
                           (request, Request.objects, "request"), (service, Service.objects, "service")):
        if obj is not None:
            _visible_or_error(qs, obj, by, field, field)
            getattr(incident, f"{field}s").add(obj)
            entry(incident, IncidentEntry.Kind.NOTE, by=by, now=now, text=f"Linked {field} #{obj.pk}",
                  linked=field, pk=obj.pk)
    _touch(incident, now)
    return incident
