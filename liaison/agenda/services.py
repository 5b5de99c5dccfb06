# ruff: noqa: RUF001 -- typographic dashes, minus and times signs are meant for readers
"""Agenda operations. The pages, the API, the demo and the CLI all call these.

Each operation validates everything before it writes (ValidationError naming the field,
data unchanged), takes `now` as an argument, and runs the conflict check for what it
touched (see conflicts.py), which notifies both leads of anything new.
"""

import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from liaison.core.business_days import business_days_between
from liaison.notify.services import notify
from liaison.org.models import Membership, Person, Service, Team

from . import conflicts
from .models import (
    MAX_WINDOW,
    Change,
    Conflict,
    ConflictEntry,
    Event,
    FeedToken,
    FreezeWindow,
    MaintenanceWindow,
    Reschedule,
    new_feed_key,
)

# --- notification: the one door to liaison.notify ------------------------------------------


def notify_people(people, *, subject, body, url, kind, dedupe_key, now, team=None):
    """Tell `people` something through the notify outbox: THE one place the agenda notifies.

    Both leads of a conflict are queued in one call, so they hear of it in the same sweep;
    `dedupe_key` makes a repeated detection (the periodic full scan) queue nothing new.
    """
    notify([p for p in people if p is not None and p.is_active], kind=kind, subject=subject, body=body,
           link=url, dedupe_key=dedupe_key, now=now, team=team)


def announce_conflict(conflict_ids, now):
    """Notify the service side's lead and the customer side's lead of each conflict, together."""
    rows = (Conflict.objects.filter(pk__in=conflict_ids)
            .select_related("change__team__lead", "event__team__lead", "freeze__team__lead"))
    for conflict in rows:
        other = conflict.event or conflict.freeze
        customer_lead = other.team.lead if other.team_id else None
        leads = [lead for lead in (conflict.change.team.lead, customer_lead) if lead is not None]
        team_of = {conflict.change.team.lead_id: conflict.change.team_id}
        if customer_lead is not None:
            team_of[customer_lead.pk] = other.team_id
        # Each lead reads the conflict as they may see it (the other team's confidential item
        # is "a confidential item of another team"), with its window in their own time zone.
        # Same dedupe key and moment for both: they hear of it in the same sweep.
        for lead in leads:
            view = Conflict.objects.visible_to(lead).filter(pk=conflict.pk).first() or conflict
            subject = (f"Agenda conflict ({conflict.get_severity_display().lower()}): "
                       f"{view.change_label} × {view.against_label}")
            notify_people([lead], subject=subject, body=conflicts.explain(view, person_zone(lead)),
                          url=conflict.get_absolute_url(), kind="agenda.conflict",
                          dedupe_key=f"agenda.conflict:{conflict.pk}", now=now, team=team_of.get(lead.pk))


def announce_settled(conflict_ids, now, by=None):
    """Tell both leads of each conflict what changed when it is settled: resolved by a
    reschedule (old and new window), by a mitigation (the plan), by the customer lead
    accepting the risk, or withdrawn. Each lead reads the times in their own time zone,
    so each gets their own text; whoever settled it is not told what they just did."""
    rows = (Conflict.objects.filter(pk__in=conflict_ids)
            .select_related("change__team__lead", "event__team__lead", "freeze__team__lead", "settled_by"))
    for conflict in rows:
        service, customer = sides(conflict)
        for team in (service, customer):
            lead = team.lead if team is not None else None
            if lead is None or not lead.is_active or (by is not None and lead.pk == by.pk):
                continue
            # As this lead may see it: another team's confidential item keeps its title hidden.
            view = Conflict.objects.visible_to(lead).select_related("settled_by").filter(pk=conflict.pk).first()
            subject, body = _settled_text(view or conflict, lead)
            notify([lead], kind="agenda.conflict.settled", subject=subject, body=body,
                   link=conflict.get_absolute_url(), team=team, now=now,
                   dedupe_key=f"agenda.conflict.settled:{conflict.pk}:{conflict.status}:{now.isoformat()}")


def _settled_text(conflict, reader):
    """(subject, body) for `reader`: labels as they may see them, times in their zone."""
    from liaison.core.times import show

    change, title, against = conflict.change, conflict.change_label, conflict.against_label
    who = f" by {conflict.settled_by}" if conflict.settled_by_id else ""
    if conflict.resolution == Conflict.Resolution.RESCHEDULED:
        move = change.reschedules.order_by("-at", "-id").first()
        what = "rescheduled"
        if move is not None:
            detail = (f"{title} moved{who} from {show(move.old_start, reader)} – {show(move.old_end, reader)} "
                      f"to {show(move.new_start, reader)} – {show(move.new_end, reader)}; it no longer collides "
                      f"with {against}.")
        else:
            detail = f"{title} no longer collides with {against}."
    elif conflict.resolution == Conflict.Resolution.MITIGATED:
        what = "mitigated"
        detail = (f"{title} keeps its window ({show(change.start, reader)} – {show(change.end, reader)}); "
                  f"{conflict.change_team_label} protects {against} with this plan{who}:\n{conflict.mitigation_plan}")
    elif conflict.resolution == Conflict.Resolution.RISK_ACCEPTED:
        what = "risk accepted"
        side = conflict.against_team_label if conflict.event_id else "The customer side"
        detail = (f"{side} accepted the risk{who}: {title} goes ahead on {show(change.start, reader)} – "
                  f"{show(change.end, reader)} during {against}.")
    else:
        what = "withdrawn"
        detail = f"The collision between {title} and {against} is withdrawn{who}."
        last = conflict.entries.order_by("-at", "-id").first()
        if last is not None and last.text and conflict.hidden_side is None:
            detail += f"\n{last.text}"
    return f"Agenda conflict {what}: {title} × {against}", detail


# --- who may do what ------------------------------------------------------------------------

def is_member(person, team):
    if person is None or not person.is_authenticated or team is None:
        return False
    return person.is_org_admin or Membership.objects.filter(person=person, team=team).exists()


def require_member(person, team, what):
    if not is_member(person, team):
        raise PermissionDenied(f"Only members of {team} may {what}.")


def may_edit(person, item):
    """Who may edit, reschedule or cancel a change or an event: its team's members, or an org admin."""
    return is_member(person, item.team)


def require_editor(person, item):
    if not may_edit(person, item):
        raise PermissionDenied(f"Only members of {item.team} may edit this {item._meta.verbose_name}.")


def is_lead(person, team):
    """The team's lead, or an org admin: who may decide for the team (e.g. accept a risk)."""
    return person is not None and person.is_authenticated and (
        person.is_org_admin or (team is not None and team.lead_id == person.pk))


def require_lead(person, team, what):
    if not is_lead(person, team):
        raise PermissionDenied(f"Only the lead of {team} may {what}.")


# --- input checks ------------------------------------------------------------------------------

def as_aware(value, time_zone, field):
    """A datetime from a form or the API: naive means wall-clock time in `time_zone`."""
    if value is None or value == "":
        raise ValidationError({field: "This field is required."})
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError({field: f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)."}) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(time_zone))
    return value.astimezone(zoneinfo.ZoneInfo("UTC"))


def _zone(name, field="time_zone"):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({field: f"{name!r} is not a known time zone (e.g. Europe/Paris, UTC)."}) from None


def validate_window(start, end):
    if end <= start:
        raise ValidationError({"end": "The window must end after it starts."})
    if end - start >= MAX_WINDOW:
        days = (end - start) / timedelta(days=1)
        raise ValidationError({"end": f"A window must be shorter than 90 days; this one lasts {days:.0f} days."})


def resolve_services(values, field="services", required=True):
    """Service instances, ids or slugs → Services; an unknown one is an error naming it."""
    values = [v for v in (values or []) if v not in (None, "")]
    if not values:
        if required:
            raise ValidationError({field: "Name at least one service."})
        return []
    found, unknown = {}, []
    ids = [v.pk if isinstance(v, Service) else v for v in values]
    numeric = [int(v) for v in ids if isinstance(v, int) or (isinstance(v, str) and v.isdigit())]
    slugs = [v for v in ids if isinstance(v, str) and not v.isdigit()]
    for service in Service.objects.filter(Q(pk__in=numeric) | Q(slug__in=slugs)).select_related("team"):
        found[service.pk] = found[service.slug] = service
    for v in ids:
        key = int(v) if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else v
        if key not in found:
            unknown.append(str(v))
    if unknown:
        raise ValidationError({field: f"Unknown service: {', '.join(unknown)}."})
    out = []
    for v in ids:
        key = int(v) if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else v
        if found[key] not in out:
            out.append(found[key])
    return out


def resolve_teams(values, field="shared_with"):
    values = [v for v in (values or []) if v not in (None, "")]
    if not values:
        return []
    keys = [v.pk if isinstance(v, Team) else v for v in values]
    numeric = [int(k) for k in keys if isinstance(k, int) or (isinstance(k, str) and k.isdigit())]
    slugs = [k for k in keys if isinstance(k, str) and not k.isdigit()]
    teams = list(Team.objects.filter(Q(pk__in=numeric) | Q(slug__in=slugs)))
    if len(teams) < len(set(map(str, keys))):
        known = {str(t.pk) for t in teams} | {t.slug for t in teams}
        raise ValidationError({field: f"Unknown team: {', '.join(str(k) for k in keys if str(k) not in known)}."})
    return teams


def _check_text(field, value, required=True, max_length=None):
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if max_length and len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    if "\x00" in value:
        raise ValidationError({field: "Must not contain NUL characters."})
    return value


def _check_choice(field, value, choices):
    if value not in choices.values:
        raise ValidationError({field: f"{value!r} is not one of: {', '.join(choices.values)}."})
    return value


# --- notice ---------------------------------------------------------------------------------------

def notice_days(notice_from, start, time_zone="UTC"):
    """Business days between the announcement and the window start, in the change's own zone."""
    zone = _zone(time_zone)
    return business_days_between(notice_from.astimezone(zone).date(), start.astimezone(zone).date())


def notice_basis(change, new_start, now):
    """Since when customers have known of the window a change is moving to.

    Moving a change later keeps the notice already given (they knew of it, and now have
    more time); moving it earlier counts notice from the moment of the move.
    """
    if change.notice_from is None:
        return None
    return change.notice_from if new_start >= change.start else now


def _renotice(change):
    change.notice_days = (notice_days(change.notice_from, change.start, change.time_zone)
                          if change.notice_from else None)


# --- planned changes -----------------------------------------------------------------------------

@transaction.atomic
def create_change(*, team, title, services, start, end, by, now, time_zone="UTC", risk=Change.Risk.MEDIUM,
                  rollback_plan="", description="", confidential=False, shared_with=(), publish=False):
    """A service team plans a change to some of its services. Draft unless `publish`."""
    require_member(by, team, "plan changes for this team")
    title = _check_text("title", title, max_length=200)
    _zone(time_zone)
    start, end = as_aware(start, time_zone, "start"), as_aware(end, time_zone, "end")
    validate_window(start, end)
    services = resolve_services(services)
    _check_choice("risk", risk, Change.Risk)
    shared = resolve_teams(shared_with)
    change = Change(team=team, title=title, description=description or "", start=start, end=end,
                    time_zone=time_zone, risk=risk, rollback_plan=rollback_plan or "",
                    confidential=bool(confidential), created_by=by)
    change.full_clean()
    change.save()
    change.services.set(services)
    change.shared_with.set(shared)
    if publish:
        return publish_change(change, by=by, now=now)
    conflicts.check_change(change, now, by=by)
    return change


UPDATABLE_CHANGE_FIELDS = {"title", "description", "risk", "rollback_plan", "services", "confidential", "shared_with"}


@transaction.atomic
def update_change(change, *, by, now, **fields):
    """Edit what a change is (not when: see reschedule_change)."""
    require_editor(by, change)
    unknown = set(fields) - UPDATABLE_CHANGE_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Use reschedule to move a window; this field cannot be edited."})
    services = resolve_services(fields.pop("services")) if "services" in fields else None
    shared = resolve_teams(fields.pop("shared_with")) if "shared_with" in fields else None
    if "title" in fields:
        fields["title"] = _check_text("title", fields["title"], max_length=200)
    if "risk" in fields:
        _check_choice("risk", fields["risk"], Change.Risk)
    for key, value in fields.items():
        setattr(change, key, value)
    change.full_clean()
    change.save()
    if services is not None:
        change.services.set(services)
    if shared is not None:
        change.shared_with.set(shared)
    conflicts.check_change(change, now, by=by)
    return change


@transaction.atomic
def publish_change(change, *, by, now):
    """Announce a draft: stamps the announcement, from which notice is counted."""
    require_member(by, change.team, "publish this change")
    if change.status != Change.Status.DRAFT:
        raise ValidationError({"status": f"Only a draft can be published; this change is {change.status}."})
    change.status = Change.Status.PUBLISHED
    change.announced_at = change.notice_from = now
    _renotice(change)
    change.save()
    conflicts.check_change(change, now, by=by)
    return change


@transaction.atomic
def reschedule_change(change, *, start, end, by, now, reason="", time_zone=None):
    """Move a change's window. Kept in its history, bumps the iCalendar SEQUENCE; conflicts
    whose windows no longer overlap resolve by themselves."""
    require_member(by, change.team, "reschedule this change")
    if change.status not in Change.LIVE:
        raise ValidationError({"status": f"A {change.status} change cannot be rescheduled."})
    time_zone = time_zone or change.time_zone
    _zone(time_zone)
    start, end = as_aware(start, time_zone, "start"), as_aware(end, time_zone, "end")
    validate_window(start, end)
    if (start, end) == (change.start, change.end):
        raise ValidationError({"start": "That is the window the change already has."})
    Reschedule.objects.create(change=change, old_start=change.start, old_end=change.end, new_start=start,
                              new_end=end, sequence=change.sequence + 1, reason=reason or "", by=by, at=now)
    change.notice_from = notice_basis(change, start, now)
    change.start, change.end, change.time_zone = start, end, time_zone
    change.sequence += 1
    if change.status == Change.Status.PUBLISHED:
        change.status = Change.Status.RESCHEDULED
    _renotice(change)
    change.save()
    conflicts.check_change(change, now, by=by)
    return change


@transaction.atomic
def cancel_change(change, *, by, now):
    require_member(by, change.team, "cancel this change")
    if change.status not in Change.LIVE:
        raise ValidationError({"status": f"A {change.status} change cannot be cancelled."})
    change.status = Change.Status.CANCELLED
    change.sequence += 1
    change.save()
    conflicts.check_change(change, now, by=by)
    return change


@transaction.atomic
def complete_change(change, *, by, now):
    require_member(by, change.team, "mark this change done")
    if change.status not in (Change.Status.PUBLISHED, Change.Status.RESCHEDULED):
        raise ValidationError({"status": "Only a published change can be marked done."})
    change.status = Change.Status.DONE
    change.save()
    return change


# --- customer events --------------------------------------------------------------------------------

@transaction.atomic
def create_event(*, team, title, services, start, end, by, now, time_zone="UTC",
                 criticality=Event.Criticality.MEDIUM, audience="", buffer_hours=0, description="",
                 confidential=False, shared_with=()):
    """A customer team registers an event or commitment and the services it depends on."""
    require_member(by, team, "register events for this team")
    title = _check_text("title", title, max_length=200)
    _zone(time_zone)
    start, end = as_aware(start, time_zone, "start"), as_aware(end, time_zone, "end")
    validate_window(start, end)
    services = resolve_services(services)
    _check_choice("criticality", criticality, Event.Criticality)
    buffer_hours = _check_buffer(buffer_hours)
    shared = resolve_teams(shared_with)
    event = Event(team=team, title=title, description=description or "", start=start, end=end,
                  time_zone=time_zone, criticality=criticality, audience=_check_text(
                      "audience", audience, required=False, max_length=200),
                  buffer_hours=buffer_hours, confidential=bool(confidential), created_by=by)
    event.guard_start = start - timedelta(hours=buffer_hours)
    event.full_clean()
    event.save()
    event.services.set(services)
    event.shared_with.set(shared)
    conflicts.check_event(event, now, by=by)
    return event


def _check_buffer(value):
    try:
        value = int(value or 0)
    except (TypeError, ValueError):
        raise ValidationError({"buffer_hours": "A whole number of hours."}) from None
    if not 0 <= value <= 24 * 30:
        raise ValidationError({"buffer_hours": "Between 0 and 720 hours (30 days)."})
    return value


UPDATABLE_EVENT_FIELDS = {"title", "description", "criticality", "audience", "buffer_hours", "services",
                          "confidential", "shared_with", "start", "end", "time_zone"}


@transaction.atomic
def update_event(event, *, by, now, **fields):
    """Edit an event, its window included: a moved window bumps the iCalendar SEQUENCE, and the
    conflict check runs again (conflicts the new window no longer meets resolve by themselves)."""
    require_editor(by, event)
    unknown = set(fields) - UPDATABLE_EVENT_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be edited."})
    time_zone = fields.pop("time_zone", event.time_zone)
    _zone(time_zone)
    start = as_aware(fields.pop("start"), time_zone, "start") if "start" in fields else event.start
    end = as_aware(fields.pop("end"), time_zone, "end") if "end" in fields else event.end
    validate_window(start, end)
    services = resolve_services(fields.pop("services")) if "services" in fields else None
    shared = resolve_teams(fields.pop("shared_with")) if "shared_with" in fields else None
    if "title" in fields:
        fields["title"] = _check_text("title", fields["title"], max_length=200)
    if "criticality" in fields:
        _check_choice("criticality", fields["criticality"], Event.Criticality)
    if "buffer_hours" in fields:
        fields["buffer_hours"] = _check_buffer(fields["buffer_hours"])
    if (start, end) != (event.start, event.end):
        event.sequence += 1
    event.start, event.end, event.time_zone = start, end, time_zone
    for key, value in fields.items():
        setattr(event, key, value)
    event.full_clean(exclude=["guard_start"])
    event.save()
    if services is not None:
        event.services.set(services)
    if shared is not None:
        event.shared_with.set(shared)
    conflicts.check_event(event, now, by=by)
    return event


@transaction.atomic
def cancel_event(event, *, by, now):
    require_member(by, event.team, "cancel this event")
    if event.status == Event.Status.CANCELLED:
        raise ValidationError({"status": "The event is already cancelled."})
    event.status = Event.Status.CANCELLED
    event.sequence += 1
    event.save()
    conflicts.check_event(event, now, by=by)
    return event


# --- freeze and maintenance windows ------------------------------------------------------------

@transaction.atomic
def create_freeze(*, title, start, end, by, now, services=(), org_wide=False, team=None, reason="",
                  time_zone="UTC"):
    """No changes in this window. Org-wide freezes are for org admins; a service freeze for its team."""
    title = _check_text("title", title, max_length=200)
    _zone(time_zone)
    start, end = as_aware(start, time_zone, "start"), as_aware(end, time_zone, "end")
    validate_window(start, end)
    services = resolve_services(services, required=not org_wide)
    if org_wide:
        if not (by and by.is_org_admin):
            raise PermissionDenied("Only org admins may freeze the whole organisation.")
        services = []
    else:
        for service in services:
            require_member(by, service.team, f"freeze {service}")
    freeze = FreezeWindow(title=title, reason=reason or "", start=start, end=end, time_zone=time_zone,
                          org_wide=bool(org_wide), team=team or (services[0].team if services else None),
                          created_by=by)
    freeze.full_clean()
    freeze.save()
    freeze.services.set(services)
    conflicts.check_freeze(freeze, now, by=by)
    return freeze


@transaction.atomic
def delete_freeze(freeze, *, by, now):
    if (freeze.org_wide or freeze.team is None) and not (by and by.is_org_admin):
        raise PermissionDenied("Only org admins may lift an organisation-wide freeze.")
    if not (freeze.org_wide or freeze.team is None):
        require_member(by, freeze.team, "lift this freeze")
    for conflict in freeze.conflicts.unsettled():
        _settle(conflict, Conflict.Status.WITHDRAWN, "", by, now, "Withdrawn: the freeze was lifted.")
    freeze.delete()


def add_maintenance_window(service, *, weekday, start_time, end_time, by, time_zone=None):
    require_member(by, service.team, f"set maintenance windows of {service}")
    try:
        weekday = int(weekday)
    except (TypeError, ValueError):
        weekday = 0
    if not 1 <= weekday <= 7:
        raise ValidationError({"weekday": "A weekday from 1 (Monday) to 7 (Sunday)."})
    if start_time is None or end_time is None or end_time <= start_time:
        raise ValidationError({"end_time": "The maintenance window must end after it starts (same day)."})
    window = MaintenanceWindow(service=service, weekday=weekday, start_time=start_time, end_time=end_time,
                               time_zone=time_zone or service.time_zone)
    window.full_clean()
    window.save()
    return window


def remove_maintenance_window(window, *, by):
    require_member(by, window.service.team, f"change maintenance windows of {window.service}")
    window.delete()


# --- the life of a conflict ----------------------------------------------------------------------

def sides(conflict):
    """(service team, customer team) of a conflict; a freeze's owner is its customer side."""
    other = conflict.event if conflict.event_id else conflict.freeze
    return conflict.change.team, other.team


def _settle(conflict, status, resolution, by, now, text, kind=None):
    conflict.status, conflict.resolution = status, resolution
    if status in (Conflict.Status.RESOLVED, Conflict.Status.WITHDRAWN):
        conflict.settled_at, conflict.settled_by = now, by
    conflict.save()
    ConflictEntry.objects.create(conflict=conflict, kind=kind or status, author=by, text=text, at=now)
    return conflict


def _require_unsettled(conflict):
    if not conflict.is_unsettled:
        raise ValidationError({"status": f"This conflict is already {conflict.get_status_display().lower()}."})


@transaction.atomic
def ask_delay(conflict, *, by, now, text=""):
    """The customer side asks the service side to move the change."""
    _require_unsettled(conflict)
    _service, customer = sides(conflict)
    if customer is None:
        if not by.is_org_admin:
            raise PermissionDenied("Only org admins may ask a delay on behalf of an organisation-wide freeze.")
    else:
        require_member(by, customer, "ask for a delay")
    _settle(conflict, Conflict.Status.DELAY_ASKED, "", by, now,
            _check_text("text", text, required=False) or "Please move the change.")
    notify_people([conflict.change.team.lead], subject=f"Delay asked: {conflict.change.title}",
                  body=f"{by} asks for the change to be moved.\n\n{conflict.reason}", url=conflict.get_absolute_url(),
                  kind="agenda.delay_asked", dedupe_key=f"agenda.delay_asked:{conflict.pk}:{now.isoformat()}", now=now,
                  team=conflict.change.team_id)
    return conflict


@transaction.atomic
def mitigate(conflict, *, by, now, plan):
    """The service side keeps the window with a written plan that protects the customer."""
    _require_unsettled(conflict)
    service, _customer = sides(conflict)
    require_member(by, service, "mitigate this conflict")
    plan = _check_text("plan", plan)
    conflict.mitigation_plan = plan
    _settle(conflict, Conflict.Status.RESOLVED, Conflict.Resolution.MITIGATED, by, now, plan)
    transaction.on_commit(lambda: announce_settled([conflict.pk], now, by=by))
    return conflict


@transaction.atomic
def accept_risk(conflict, *, by, now, text=""):
    """Only the customer lead may accept the risk of a change that collides with their event."""
    _require_unsettled(conflict)
    _service, customer = sides(conflict)
    require_lead(by, customer, "accept this risk")
    _settle(conflict, Conflict.Status.RESOLVED, Conflict.Resolution.RISK_ACCEPTED, by, now,
            _check_text("text", text, required=False) or "Risk accepted.")
    transaction.on_commit(lambda: announce_settled([conflict.pk], now, by=by))
    return conflict


@transaction.atomic
def withdraw(conflict, *, by, now, text=""):
    """The customer side (or an org admin) says the collision does not matter after all."""
    _require_unsettled(conflict)
    _service, customer = sides(conflict)
    if not ((by and by.is_org_admin) or (customer is not None and is_member(by, customer))):
        raise PermissionDenied("Only the customer team may withdraw this conflict.")
    _settle(conflict, Conflict.Status.WITHDRAWN, "", by, now,
            _check_text("text", text, required=False) or "Withdrawn.")
    transaction.on_commit(lambda: announce_settled([conflict.pk], now, by=by))
    return conflict


def comment(conflict, *, by, now, text):
    """Anyone who can see the conflict may comment on it."""
    if not Conflict.objects.visible_to(by).filter(pk=conflict.pk).exists():
        raise PermissionDenied("You cannot see this conflict.")
    return ConflictEntry.objects.create(conflict=conflict, kind=ConflictEntry.Kind.COMMENT, author=by,
                                        text=_check_text("text", text, max_length=10_000), at=now)


def pick_window(change, *, start, by, now):
    """Take a window the scheduling assistant proposed (same length): reschedules the change."""
    start = as_aware(start, "UTC", "start")
    return reschedule_change(change, start=start, end=start + change.duration, by=by, now=now,
                             reason="Moved to a window the scheduling assistant proposed.")


# --- affected customers --------------------------------------------------------------------------

def affected_customers(change, viewer, now):
    """Teams whose upcoming events depend on what the change touches, with those events.

    [(team, [events], [services of theirs standing on the change])] sorted by team name.
    Only events the viewer may see are listed.
    """
    direct = list(change.services.values_list("pk", flat=True))
    affected = [row[0] for row in conflicts._walk_sql(direct, downward=False)]
    events = (Event.objects.visible_to(viewer).filter(status=Event.Status.SCHEDULED, end__gt=now,
                                                       services__in=affected)
              .distinct().select_related("team").order_by("start"))
    by_team = defaultdict(lambda: ([], []))
    for event in events:
        by_team[event.team][0].append(event)
    for service in Service.objects.filter(pk__in=set(affected) - set(direct)).select_related("team"):
        if service.team_id != change.team_id:
            by_team[service.team][1].append(service)
    return sorted(((team, evs, svcs) for team, (evs, svcs) in by_team.items()), key=lambda row: row[0].name)


# --- calendars -----------------------------------------------------------------------------------

def team_dependency_services(team):
    """Ids of what the team depends on: services its events need and what its own services stand on."""
    roots = set(Service.objects.filter(team=team).values_list("pk", flat=True))
    roots |= set(Event.services.through.objects.filter(event__team=team, event__status=Event.Status.SCHEDULED)
                 .values_list("service_id", flat=True))
    return {row[0] for row in conflicts._walk_sql(sorted(roots), downward=True)}


def team_calendar(team, viewer, start, end):
    """What a team's calendar shows between start and end, as the viewer may see it.

    Own events, own changes, other teams' changes touching what the team depends on,
    freeze windows that concern it; each flagged when it has unsettled conflicts.
    """
    needs = team_dependency_services(team)
    changes = (Change.objects.visible_to(viewer).overlapping(start, end).exclude(status=Change.Status.CANCELLED)
               .filter(Q(team=team) | Q(services__in=needs)).distinct().select_related("team"))
    events = (Event.objects.visible_to(viewer).overlapping(start, end).filter(team=team)
              .exclude(status=Event.Status.CANCELLED).select_related("team"))
    freezes = (FreezeWindow.objects.visible_to(viewer).overlapping(start, end)
               .filter(Q(org_wide=True) | Q(services__in=needs)).distinct())
    changes, events, freezes = list(changes), list(events), list(freezes)
    hot = Conflict.objects.visible_to(viewer).unsettled().filter(
        Q(change__in=[c.pk for c in changes]) | Q(event__in=[e.pk for e in events]))
    hot_changes, hot_events = set(), set()
    for change_id, event_id in hot.values_list("change_id", "event_id"):
        hot_changes.add(change_id)
        if event_id:
            hot_events.add(event_id)
    items = []
    for change in changes:
        items.append({"kind": "change", "obj": change, "own": change.team_id == team.pk,
                      "conflict": change.pk in hot_changes, "start": change.start, "end": change.end})
    for event in events:
        items.append({"kind": "event", "obj": event, "own": True, "conflict": event.pk in hot_events,
                      "start": event.start, "end": event.end})
    for freeze in freezes:
        items.append({"kind": "freeze", "obj": freeze, "own": False, "conflict": False,
                      "start": freeze.start, "end": freeze.end})
    items.sort(key=lambda item: (item["start"], item["kind"]))
    return items


# --- feed tokens -----------------------------------------------------------------------------------

def feed_token(*, by, team=None):
    """The feed token of `team` (members only) or of `by` themselves; created on first use."""
    if team is not None:
        require_member(by, team, "see this team's calendar feed")
        token, _ = FeedToken.objects.get_or_create(team=team)
    else:
        token, _ = FeedToken.objects.get_or_create(person=by)
    return token


def rotate_feed_token(token, *, by, now):
    """A new secret: the old feed URL stops working at once."""
    if not FeedToken.objects.visible_to(by).filter(pk=token.pk).exists():
        raise PermissionDenied("You may rotate only your own feed and your teams' feeds.")
    token.key, token.rotated_at = new_feed_key(), now
    token.save(update_fields=["key", "rotated_at"])
    return token


def feed_items(token, now, past_days=90, future_days=400):
    """(changes, events, freezes) a feed carries: a team's calendar, or a person's teams' calendars."""
    start, end = now - timedelta(days=past_days), now + timedelta(days=future_days)
    if token.team_id:
        viewer_teams = [token.team]
        visible = _team_view
    else:
        person = token.person
        viewer_teams = list(Team.objects.filter(memberships__person=person))
        visible = None
    changes, events, freezes = {}, {}, {}
    for team in viewer_teams:
        needs = team_dependency_services(team)
        cq = Change.objects.overlapping(start, end).filter(Q(team=team) | Q(services__in=needs)).distinct()
        eq = Event.objects.overlapping(start, end).filter(team=team)
        fq = FreezeWindow.objects.overlapping(start, end).filter(Q(org_wide=True) | Q(services__in=needs)).distinct()
        if visible is not None:
            cq, eq = visible(cq, team), visible(eq, team)
        else:
            cq, eq = cq.visible_to(token.person), eq.visible_to(token.person)
        changes.update((c.pk, c) for c in cq.select_related("team").prefetch_related("services"))
        events.update((e.pk, e) for e in eq.select_related("team").prefetch_related("services"))
        freezes.update((f.pk, f) for f in fq)
    if token.person_id and not viewer_teams:
        pass
    return list(changes.values()), list(events.values()), list(freezes.values())


def _team_view(queryset, team):
    """What a team (not a person) may see: public items and its own or shared confidential ones."""
    return queryset.filter(Q(confidential=False) | Q(team=team) | Q(shared_with=team)).distinct()


def person_zone(person):
    try:
        return zoneinfo.ZoneInfo(getattr(person, "time_zone", None) or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def leads_of(conflict):
    service, customer = sides(conflict)
    return [t.lead for t in (service, customer) if t is not None and t.lead_id]


def people_by_pk(ids):
    return Person.objects.in_bulk(ids)
