"""The small rules every request operation shares: who acts for which side, the draft's
validation, the request's local "today" and notice, events and who hears of them.

Used by liaison.requests.creating (new requests) and liaison.requests.services (every
later step); nothing here writes except _event, _save and _tell, inside their callers'
transactions.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.signals import post_save

from liaison.core.business_days import business_days_between
from liaison.notify.services import message_rows, queue
from liaison.org.cache import member_team_ids
from liaison.org.models import Membership, Team

from .models import DateKind, Request, RequestEvent, Status

TITLE_MAX = 200

# --- small helpers -------------------------------------------------------------------

def local_today(service, now):
    """The date `now` falls on in the service's time zone."""
    return now.astimezone(ZoneInfo(service.time_zone or "UTC")).date()


def notice_for(service, need_by, today):
    """Notice in the service's business days: working days after `today` up to `need_by`."""
    return business_days_between(today, need_by, service.working_days)


def team_ids_of(person):
    """Ids of the teams `person` belongs to (liaison.org.cache: kept per process)."""
    return member_team_ids(person.pk)


def acts_as_provider(request, person):
    return request.provider_team_id in team_ids_of(person)


def acts_as_requester(request, person):
    return request.requester_team_id in team_ids_of(person)


def _require_provider(request, by, action):
    if not acts_as_provider(request, by):
        raise PermissionDenied(f"Only members of the provider team ({request.provider_team}) may {action}.")


def _require_requester(request, by, action):
    if not acts_as_requester(request, by):
        raise PermissionDenied(f"Only members of the requesting team ({request.requester_team}) may {action}.")


def _require_either_side(request, by, action):
    if not (acts_as_provider(request, by) or acts_as_requester(request, by)):
        raise PermissionDenied(f"Only the requesting team and the provider team may {action}.")


def _require_status(request, allowed, action):
    if request.status not in allowed:
        names = ", ".join(Status(s).label.lower() for s in allowed)
        raise ValidationError({"status": (
            f"Cannot {action} a request that is {Status(request.status).label.lower()}; "
            f"this is possible only when it is {names}.")})


def _required_text(errors, field, value, what):
    value = (value or "").strip()
    if not value:
        errors[field] = f"{what} is required."
    return value


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _lock(request):
    """Reload the request's own fields with its row locked for the rest of the transaction.

    Unlike refresh_from_db(), related objects already loaded (service, teams) are kept
    when their id did not change: the doors load them once, we do not load them again.
    """
    fresh = Request.objects.select_for_update(of=("self",)).get(pk=request.pk)
    for field in Request._meta.concrete_fields:
        value = getattr(fresh, field.attname)
        if field.is_relation and field.is_cached(request) and getattr(request, field.attname) != value:
            field.delete_cached_value(request)
        setattr(request, field.attname, value)
    return request


def _jsonable(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def _new_event(request, kind, by, now, **data):
    return RequestEvent(
        request=request, kind=kind, actor=by, at=now, provider_team_id=request.provider_team_id,
        requester_team_id=request.requester_team_id,
        data={k: _jsonable(v) for k, v in data.items() if v not in (None, "")})


def _event(request, kind, by, now, **data):
    event = _new_event(request, kind, by, now, **data)
    event.save(force_insert=True)
    return event


def _save(request, now, *fields):
    request.updated_at = now
    request.save(update_fields=[*fields, "updated_at"])


def provider_contacts(request):
    """Who hears for the provider: the owner (who acknowledged/committed), else the team lead,
    else every member of the provider team."""
    if request.provider_owner_id:
        return [request.provider_owner_id]
    if Request.provider_team.is_cached(request):  # loaded with the request: no query
        lead_id = request.provider_team.lead_id
    else:
        lead_id = Team.objects.filter(pk=request.provider_team_id).values_list("lead_id", flat=True).first()
    if lead_id:
        return [lead_id]
    return list(Membership.objects.filter(team_id=request.provider_team_id).values_list("person_id", flat=True))


def _tell(recipients, request, event, kind, subject, body="", team=None):
    """Queue `kind` for `recipients` about `event`; the dedupe key is the event, so a
    retried call never doubles a message."""
    queue(_tell_rows(recipients, request, event, kind, subject, body, team=team))


def _tell_rows(recipients, request, event, kind, subject, body="", team=None):
    # In the app, a notification is filed under the recipient's side: the requester's
    # team for the requester, the provider team for everyone else unless `team` says.
    team = team or {None: request.provider_team_id, request.requester_id: request.requester_team_id}
    return message_rows([r for r in recipients if r is not None and r != event.actor_id], kind=kind,
                        subject=f"[{request.service.name}] {subject}", body=body, link=request.get_absolute_url(),
                        dedupe_key=f"request:{request.pk}:event:{event.pk}", now=event.at, team=team)



# --- a draft's rules -----------------------------------------------------------------

def _resolve_requester_team(requester, requester_team):
    teams = team_ids_of(requester)
    if requester_team is not None:
        team_id = getattr(requester_team, "pk", requester_team)
        if team_id not in teams:
            raise ValidationError({"requester_team": "You can only ask on behalf of a team you belong to."})
        return team_id
    if len(teams) == 1:
        return next(iter(teams))
    if not teams:
        raise ValidationError({"requester_team": "You belong to no team; requests are made by a team."})
    raise ValidationError({"requester_team": "You belong to several teams: say which one is asking."})


def _validate_draft(errors, *, title, context, need_by, date_kind, today):
    title = _required_text(errors, "title", title, "A title")
    if len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters (it has {len(title)})."
    context = _required_text(errors, "context", context,
                             "The context (why it matters to you, and what happens if it is missed)")
    if need_by is None:
        errors["need_by"] = "A need-by date is required."
    elif need_by < today:
        errors["need_by"] = f"The need-by date {need_by:%Y-%m-%d} is in the past; choose today or a later date."
    if date_kind not in DateKind.values:
        errors["date_kind"] = "Say whether the date is hard or flexible (date_kind: 'hard' or 'flexible')."
    return title, context


def _validate_probability(errors, probability):
    if probability is None:
        errors["probability"] = "A forecast needs a probability, from 1 to 100 %."
    elif not isinstance(probability, int) or isinstance(probability, bool) or not 1 <= probability <= 100:
        errors["probability"] = f"A probability is a whole percentage from 1 to 100; {probability} is not."


def _validate_confirm_by(errors, confirm_by, need_by, today):
    if confirm_by is None:
        errors["confirm_by"] = "A forecast needs a confirm-by date: when you will know for sure."
    elif confirm_by < today:
        errors["confirm_by"] = f"The confirm-by date {confirm_by:%Y-%m-%d} is in the past."
    elif need_by is not None and confirm_by > need_by:
        errors["confirm_by"] = "The confirm-by date must come on or before the expected need date."


def _short_notice_errors(errors, service, notice, owned):
    if notice < service.lead_time_days and not (owned or "").strip():
        errors["short_notice_owned"] = (
            f"Short notice: {notice} business days, less than the {service.lead_time_days}-day lead time "
            f"{service.name} publishes. Own it in a sentence before sending (the provider will see it).")


def _check_future_date(errors, field, value, today):
    if value is None:
        errors[field] = "A date is required."
    elif value < today:
        errors[field] = f"{value:%Y-%m-%d} is in the past; commit to today or a later date."



def _validate_quality(errors, quality):
    if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 5:
        errors["quality"] = f"Rate the quality from 1 to 5; {quality!r} is not."


def _saved_in_bulk(objs):
    """post_save for rows written by bulk_create or raw SQL, as save() would have sent it
    (liaison.notify.chat forwards new request events to chat webhooks this way)."""
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
        post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
                       using=connection.alias)
