
"""“When is the retrospective?” — presumed, proposed, scheduled, reminded once, held.

Seed 002: instead of proposing a retrospective, presume one. An incident that touches
another team gets a Retrospective row at once: a date within 10 business days, a
facilitator from outside both teams with ties to both (network bridges), and a no-blame
agenda. Booking it (`schedule`) invites both leads — and the facilitator — by mail with an
iCalendar REQUEST attached (ical.py), and puts it in the teams' calendar feeds. If it is
still unbooked once the proposed date has passed, the `incidents.retrospectives` sweep
reminds the affected leads exactly once (the row's `reminded_at` is the state).

Action items are commitments: each one is a requests Request from an affected team to the
owning team's service, committed to its due date by the owner (requests.services), so
reminders, slips, overdue and the pair scorecard count it without a copy of that machinery.
"""

import itertools
from datetime import UTC

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from liaison.core.business_days import add_business_days, business_days_between
from liaison.org.models import Membership, Team
from liaison.requests import services as requests
from liaison.requests.models import CLOSED_STATUSES
from liaison.requests.models import Status as RequestStatus

from .models import ActionItem, IncidentEntry, IncidentTeam, Retrospective
from .services import (
    _raise,
    _text,
    affected_team_ids,
    entry,
    involved_team_ids,
    leads_of,
    require_involved,
    team_ids_of,
    tell,
    tell_teams,
)

#: Proposed this many business days after the incident touched a second team ...
PROPOSE_AFTER_DAYS = 5
#: ... and never later than this: "a date within 10 business days".
WITHIN_DAYS = 10
DEFAULT_DURATION = 90


def agenda_text(incident):
    """The proposed agenda: a no-blame statement, the timeline, what worked, what to change."""
    return "\n".join([
        "1. Ground rule (no blame): “Regardless of what we discover, we understand and truly believe that "
        "everyone did the best job they could, given what they knew at the time, their skills and "
        "abilities, the resources available, and the situation at hand.” (Kerth)",
        "2. The timeline: what happened, when, and what it cost each team (the incident page has the "
        "impacts in numbers).",
        "3. What worked: what we want to keep doing.",
        "4. What to change: in how changes are planned, announced and scheduled between our teams.",
        "5. Action items: an owner, a due date and a commitment for each.",
    ])


def facilitator_for(incident, today):
    """Someone outside every team of the incident with strong ties into both sides (the
    service team and an affected team): the network's bridge people. None if nobody is."""
    from liaison.network.graph import bridges

    links = list(incident.team_links.select_related("team"))
    service = next((link.team for link in links if link.role == IncidentTeam.Role.SERVICE), None)
    affected = [link.team for link in links if link.role == IncidentTeam.Role.AFFECTED]
    inside = set(Membership.objects.filter(team_id__in=[link.team_id for link in links])
                 .values_list("person_id", flat=True))
    pairs = [(service, team) for team in affected] if service else list(itertools.pairwise(affected))
    for a, b in pairs:
        for row in bridges(a, b, today):
            if row["person"].pk not in inside and not row["member_of"]:
                return row["person"]
    return None


def touched_another_team(incident):
    return len(involved_team_ids(incident)) >= 2


def presume(incident, *, now):
    """Create the proposed retrospective once the incident touches a second team (idempotent)."""
    if not touched_another_team(incident) or Retrospective.objects.filter(incident=incident).exists():
        return None
    today = now.astimezone(UTC).date()
    retro, created = Retrospective.objects.get_or_create(incident=incident, defaults={
        "proposed_for": add_business_days(today, PROPOSE_AFTER_DAYS),
        "facilitator": facilitator_for(incident, today),
        "agenda": agenda_text(incident),
        "proposed_at": now,
    })
    if not created:
        return retro
    who = retro.facilitator.name if retro.facilitator else "nobody yet (no one outside both teams has ties to both)"
    entry(incident, IncidentEntry.Kind.RETRO_PROPOSED, now=now,
          text=f"When is the retrospective? Proposed for {retro.proposed_for:%a %d %b %Y}; facilitator: {who}.",
          proposed_for=retro.proposed_for.isoformat())
    tell(leads_of(incident), incident, kind="incident.retrospective.proposed",
         subject=f"When is the retrospective? {incident.title}",
         body=f"This incident touched more than one team, so it gets a retrospective. Proposed for "
              f"{retro.proposed_for:%A %d %B}, facilitator: {who}. Book it on the incident page; the "
              "invitation goes to both leads with a calendar entry.",
         key=f"incident.retro.proposed:{retro.pk}", now=now, link=retro.get_absolute_url())
    return retro


def _deadline(retro):
    return add_business_days(retro.proposed_at.astimezone(UTC).date(), WITHIN_DAYS)


def invitees(retro):
    """Both sides' leads and the facilitator: who gets the invitation."""
    people = leads_of(retro.incident)
    if retro.facilitator and retro.facilitator.is_active and retro.facilitator not in people:
        people.append(retro.facilitator)
    return people


@transaction.atomic
def schedule(retro, *, by, at, now, duration_minutes=None, location="", facilitator=None):
    """Book (or move) the retrospective; invites go out with an iCalendar REQUEST.

    Rules: a member of an involved team books it; in the future; on or before the 10th
    business day after it was proposed (later is refused, naming the last day); 15 minutes
    to 8 hours; the facilitator, if changed, is outside the incident's teams. Moving it
    bumps the iCalendar SEQUENCE so calendars update the entry they already have.
    """
    incident = retro.incident
    require_involved(by, incident, "book its retrospective")
    retro = Retrospective.objects.select_for_update().get(pk=retro.pk)
    errors = {}
    if at is None:
        errors["scheduled_at"] = "Give a date and time."
    elif at <= now:
        errors["scheduled_at"] = "The retrospective is booked in the future."
    elif at.astimezone(UTC).date() > _deadline(retro):
        errors["scheduled_at"] = (f"A retrospective happens while memories are fresh: book it on or before "
                                  f"{_deadline(retro):%a %d %b %Y} (10 business days).")
    duration = duration_minutes or retro.duration_minutes or DEFAULT_DURATION
    if not 15 <= int(duration) <= 480:
        errors["duration_minutes"] = "Between 15 minutes and 8 hours."
    location = _text(errors, "location", location, "The place", required=False, max_length=200)
    if facilitator is not None and Membership.objects.filter(
            person=facilitator, team_id__in=involved_team_ids(incident)).exists():
        errors["facilitator"] = (f"{facilitator} is in one of the teams involved; a facilitator comes from "
                                 "outside both teams.")
    _raise(errors)
    moved = retro.scheduled_at is not None
    if moved:
        retro.sequence += 1
    retro.scheduled_at, retro.duration_minutes, retro.location = at, int(duration), location
    if facilitator is not None:
        retro.facilitator = facilitator
    retro.invited_at = now
    retro.save()
    entry(incident, IncidentEntry.Kind.RETRO_SCHEDULED, by=by, now=now,
          text=f"Retrospective {'moved to' if moved else 'booked for'} {at.astimezone(UTC):%a %d %b %Y %H:%M} UTC"
               + (f", {location}" if location else "") + ".", sequence=retro.sequence)
    subject = f"Retrospective: {incident.title} — {at.astimezone(UTC):%a %d %b %H:%M} UTC"
    body = (f"{by} booked the retrospective of “{incident.title}” for {at.astimezone(UTC):%A %d %B %Y, %H:%M} UTC "
            f"({retro.duration_minutes} minutes){', ' + location if location else ''}. The calendar entry is "
            f"attached.\n\nAgenda:\n{retro.agenda}")
    tell(invitees(retro), incident, kind="incident.retrospective.invitation", subject=subject, body=body,
         key=f"incident.retro.invite:{retro.pk}:{retro.sequence}", now=now, link=retro.get_absolute_url())
    tell_teams(involved_team_ids(incident), incident, kind="incident.retrospective.scheduled", subject=subject,
               key=f"incident.retro.scheduled:{retro.pk}:{retro.sequence}", now=now)
    return retro


@transaction.atomic
def record_held(retro, *, by, now, notes=""):
    """The retrospective took place: what worked, what to change (no names at fault)."""
    require_involved(by, retro.incident, "record its retrospective")
    retro = Retrospective.objects.select_for_update().select_related("incident").get(pk=retro.pk)
    if retro.scheduled_at is None or retro.scheduled_at > now:
        raise ValidationError({"scheduled_at": "A retrospective is recorded as held after its booked time."})
    errors = {}
    notes = _text(errors, "notes", notes, "Notes", required=False)
    _raise(errors)
    retro.held_at, retro.notes = now, notes
    retro.save(update_fields=["held_at", "notes"])
    entry(retro.incident, IncidentEntry.Kind.RETRO_HELD, by=by, now=now, text=notes)
    return retro


def unscheduled(retro):
    """No retrospective yet: none is booked (shown to all who may see the incident)."""
    return retro is not None and retro.scheduled_at is None and retro.held_at is None


def remind_unscheduled(now, limit=500):
    """The sweep: once the proposed date has passed with nothing booked, remind the affected
    leads — once. The row is claimed with its lock and stamped in the same transaction, so
    a second worker (or a rerun after a crash before commit) finds nothing left to do."""
    today = now.astimezone(UTC).date()
    done = 0
    ids = list(Retrospective.objects.filter(scheduled_at__isnull=True, reminded_at__isnull=True, held_at__isnull=True,
                                            proposed_for__lt=today).values_list("pk", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            retro = (Retrospective.objects.select_for_update(skip_locked=True).select_related("incident")
                     .filter(pk=pk, scheduled_at__isnull=True, reminded_at__isnull=True).first())
            if retro is None:
                continue
            retro.reminded_at = now
            retro.save(update_fields=["reminded_at"])
            incident = retro.incident
            late = business_days_between(retro.proposed_for, today)
            entry(incident, IncidentEntry.Kind.RETRO_REMINDED, now=now,
                  text=f"No retrospective yet, {late} business day{'s' if late != 1 else ''} after the proposed "
                       "date: the affected leads were reminded.")
            tell(leads_of(incident, role=IncidentTeam.Role.AFFECTED), incident,
                 kind="incident.retrospective.reminder", subject=f"No retrospective yet: {incident.title}",
                 body=f"The retrospective was proposed for {retro.proposed_for:%A %d %B} and nobody has booked "
                      "it. When is the retrospective? Book it on the incident page (it must happen within 10 "
                      "business days of the incident).",
                 key=f"incident.retro.reminder:{retro.pk}", now=now, link=retro.get_absolute_url())
            done += 1
    return done


# --- action items ------------------------------------------------------------------------------

def _owning_team(owner, incident, team):
    involved = involved_team_ids(incident)
    mine = team_ids_of(owner) & involved
    if team is not None:
        if team.pk not in mine:
            raise ValidationError({"owner": f"{owner} is not in {team}, or {team} is not in this incident."})
        return team
    if not mine:
        raise ValidationError({"owner": f"{owner} is in none of the teams involved; the owner is someone who "
                                        "can commit for their team."})
    if incident.service_team_id in mine:
        return incident.service_team
    return Team.objects.get(pk=sorted(mine)[0])


def _carrier_service(incident, team):
    linked = incident.services.filter(team=team).order_by("pk").first()
    return linked or team.services.order_by("name").first()


@transaction.atomic
def add_action_item(retro, *, by, title, owner, due, now, context="", team=None):
    """An action item = a request from an affected team to the owning team, committed by the
    owner to `due`. Reminders, slips and the scorecard then come from requests."""
    incident = retro.incident
    require_involved(by, incident, "add action items")
    errors = {}
    title = _text(errors, "title", title, "A title", max_length=200)
    if owner is None:
        errors["owner"] = "Name the owner (an email address of someone in a team involved)."
    if due is None:
        errors["due"] = "Give a due date."
    elif due < now.astimezone(UTC).date():
        errors["due"] = "The due date is today or later."
    _raise(errors)
    owning = _owning_team(owner, incident, team)
    service = _carrier_service(incident, owning)
    if service is None:
        raise ValidationError({"owner": f"{owning} offers no service in the catalogue to carry the commitment."})
    affected = affected_team_ids(incident) - {owning.pk}
    mine = team_ids_of(by) & affected
    if mine:
        requester, requester_team = by, Team.objects.get(pk=sorted(mine)[0])
    else:
        team_rows = Team.objects.filter(pk__in=affected, lead__isnull=False).select_related("lead").order_by("name")
        first = team_rows.first()
        if first is None:
            raise ValidationError({"owner": "An action item is a commitment to an affected team, and no other "
                                            "affected team with a lead is in this incident."})
        requester, requester_team = first.lead, first
    context = (context or "").strip() or (f"Action item from the retrospective of “{incident.title}”. "
                                          f"Decided together; it prevents the next collision.")
    request = requests.submit_request(
        requester=requester, requester_team=requester_team, service=service, title=title, context=context,
        need_by=due, date_kind="hard", now=now, milestone=f"Retrospective of incident #{incident.pk}",
        short_notice_owned="Agreed at the retrospective: the owner chose this date.")
    requests.commit_to_date(request, by=owner, date=due, now=now,
                            note="Committed at the retrospective.")
    item = ActionItem.objects.create(retrospective=retro, request=request, title=title, owner=owner, created_by=by,
                                     created_at=now)
    entry(incident, IncidentEntry.Kind.ACTION, by=by, team=owning, now=now,
          text=f"Action item: {title} — {owner}, due {due:%d %b %Y}.", request=request.pk)
    return item


def action_state(item, today):
    """(label, css) of an action item from its request: done, open, slipped, overdue."""
    request = item.request
    if request.status in (RequestStatus.DELIVERED, RequestStatus.ACCEPTED):
        return "Done", "ok"
    if request.status in CLOSED_STATUSES:
        return request.get_status_display(), "muted"
    if request.committed_date and request.committed_date < today:
        return "Overdue", "bad"
    if request.slip_count:
        return f"Slipped ({request.slip_count} times)" if request.slip_count > 1 else "Slipped", "warn"
    return "Committed", "info"


def slip_action_item(item, *, by, new_date, reason, now):
    """Move an action item's date: a requests slip, kept and counted like any other."""
    if item.request.provider_team_id not in team_ids_of(by):
        raise PermissionDenied("Only the owning team moves its commitment.")
    return requests.change_commitment(item.request, by=by, new_date=new_date, reason=reason, now=now)


def retrospectives_for_teams(team_ids, start, end):
    """Booked retrospectives touching these teams in a window: for the calendar feeds."""
    return (Retrospective.objects.filter(scheduled_at__gte=start, scheduled_at__lt=end)
            .filter(Q(incident__team_links__team_id__in=team_ids)).select_related("incident", "facilitator")
            .distinct())
