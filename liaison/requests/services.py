"""Operations on requests: one function per business action, called by every door.

Each action takes the actor (`by`) and `now`, and:
1. checks who may do it — members of the requester's team act as requester, members of
   the provider team act as provider (PermissionDenied otherwise; the doors first make
   sure the actor can *see* the request, else 404);
2. checks the transition is allowed from the current status and that the input is
   valid — raising ValidationError with the field (or "status" for a transition) and a
   sentence saying why, before anything is written;
3. in one transaction, with the request row locked (SELECT ... FOR UPDATE on
   PostgreSQL), updates the request's current state, appends one RequestEvent (and
   the Slip, Blocker, ... row where there is one) and queues notifications through
   liaison.notify — never sends mail itself.

"Today" for a request is the date in its service's time zone; notice, reminders and
grace periods count the service's business days (liaison.core.business_days).
"""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncWeek
from django.db.models.signals import post_save
from django.utils import timezone

from liaison.core.business_days import add_business_days, business_days_between
from liaison.notify.models import Notification
from liaison.notify.services import message_rows, notify, queue
from liaison.org.models import Membership, Person, Team

from .attachments import clean_upload
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Attachment,
    Blocker,
    DateKind,
    Escalation,
    EscalationWarning,
    EventKind,
    Request,
    RequestEvent,
    ServicePolicy,
    Slip,
    Status,
    Thanks,
    scope_team_ids,
)

TITLE_MAX = 200


# --- small helpers -------------------------------------------------------------------

def local_today(service, now):
    """The date `now` falls on in the service's time zone."""
    return now.astimezone(ZoneInfo(service.time_zone or "UTC")).date()


def notice_for(service, need_by, today):
    """Notice in the service's business days: working days after `today` up to `need_by`."""
    return business_days_between(today, need_by, service.working_days)


def team_ids_of(person):
    """Ids of the teams `person` belongs to (cached on the object: one query per HTTP request)."""
    cached = getattr(person, "_member_team_ids", None)
    if cached is None:
        cached = person._member_team_ids = frozenset(
            Membership.objects.filter(person_id=person.pk).values_list("team_id", flat=True))
    return cached


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


# --- one round trip for a new request (PostgreSQL) ------------------------------------------
#
# Creating a request writes three rows: the request, its "created" event and one
# notification per recipient. Through the ORM that is BEGIN, three INSERTs and COMMIT:
# five round trips, each a wake-up of the database server (on a busy machine each costs
# milliseconds of waiting), and ~60 parameters adapted one by one. On PostgreSQL,
# _insert_new_request sends the three INSERTs as one statement (data-modifying CTEs),
# atomic by itself: one round trip, each row as one JSON parameter that
# json_populate_record turns into the table's row type. The rows are the same model
# instances the ORM path saves (every concrete field, through its pre_save), the ids
# the event and notifications need come from the CTEs, and post_save is sent for the
# request and the event as save() would (liaison.mail forwards events to chat).
# The statement is prepared once per connection and bound server-side (_prepared_cursor):
# Django's psycopg cursors merge parameters into the SQL text client-side, and the
# server would parse and plan this three-table statement again on every create.
# Figures, before and after each step: bench/README.md (requests_api.py).

_REQUEST_ID, _EVENT_ID = "\x1frequest\x1f", "\x1fevent\x1f"  # stand-ins until the INSERT gives the ids
_NEW_REQUEST_SQL = None


def _insert_fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _row(obj, skip=()):
    return {f.column: f.pre_save(obj, True) for f in _insert_fields(type(obj)) if f.attname not in skip}


def _json_value(value):
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _new_request_sql():
    """The one statement (built once per process; psycopg caches its parsing too)."""
    global _NEW_REQUEST_SQL
    if _NEW_REQUEST_SQL is None:
        q = connection.ops.quote_name
        with_ids = "replace(replace({}, %s, (SELECT id FROM r)::text), %s, (SELECT id FROM e)::text)"

        def insert(model, source, extra=(), expressions=None):
            table = q(model._meta.db_table)
            columns = [f.column for f in _insert_fields(model) if f.column not in dict(extra)]
            values = [(expressions or {}).get(c, q(c)) for c in columns]
            names = ", ".join([*(q(c) for c, _ in extra), *(q(c) for c in columns)])
            select = ", ".join([*(v for _, v in extra), *values])
            return f"INSERT INTO {table} ({names}) SELECT {select} FROM {source}(NULL::{table}, %s::json)"

        requests = insert(Request, "json_populate_record")
        events = insert(RequestEvent, "json_populate_record", extra=[("request_id", "(SELECT id FROM r)")])
        notes = insert(Notification, "json_populate_recordset",
                       expressions={c: with_ids.format(q(c)) for c in ("dedupe_key", "link")})
        _NEW_REQUEST_SQL = (f"WITH r AS ({requests} RETURNING id), e AS ({events} RETURNING id), "
                            f"n AS ({notes} ON CONFLICT DO NOTHING) SELECT (SELECT id FROM r), (SELECT id FROM e)")
    return _NEW_REQUEST_SQL


def _prepared_cursor():
    """A Django cursor (query log, error translation) over a psycopg cursor that binds
    parameters server-side and prepares its statements on first use, on this connection.

    Only cursors opened here prepare: Django's own are client-side (ClientCursor, unless
    the database OPTIONS ask for server_side_binding, which Liaison does not), which never
    prepare, so setting the connection's threshold leaves every other query as is.
    LIAISON_DB_PREPARED_STATEMENTS=0 turns this off, for a pooler that does not keep a
    server connection per client (PgBouncer in transaction mode).
    """
    if not settings.LIAISON_DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = 0
    import psycopg  # here, not at the top: SQLite processes (the mail pipe) need not load it

    cursor = psycopg.Cursor(raw)
    return _LoggedPreparedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """When queries are logged (DEBUG, tests): logs the statement as written, with its %s
    placeholders, since psycopg keeps no text of a server-side bound statement."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def _insert_new_request(request, event, rows):
    """INSERT `request`, `event` (its first event) and notification `rows` in one statement.

    `event` and `rows` were built while request.pk and event.pk held the stand-ins
    _REQUEST_ID and _EVENT_ID (in the notifications' dedupe keys and links); the
    statement puts the real ids in their place.
    """
    dumps = partial(json.dumps, default=_json_value)
    params = [dumps(_row(request)), dumps(_row(event, skip=("request_id",))),  # the notifications' SELECT
              _REQUEST_ID, _EVENT_ID, _REQUEST_ID, _EVENT_ID, dumps([_row(row) for row in rows])]  # comes first
    with _prepared_cursor() as cursor:
        cursor.execute(_new_request_sql(), params)
        request_id, event_id = cursor.fetchone()
    request.pk, event.pk, event.request_id = request_id, event_id, request_id
    for obj in (request, event):
        obj._state.adding, obj._state.db = False, connection.alias
        post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
                       using=connection.alias)


# --- creating: a request, or a heads-up forecast --------------------------------------

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


def _new_request(*, requester, requester_team_id, service, title, context, need_by, date_kind, options,
                 milestone, status, now, **fields):
    return Request(
        requester=requester, requester_team_id=requester_team_id, service=service,
        provider_team=service.team, title=title, context=context, need_by=need_by, due_date=need_by,
        date_kind=date_kind, options=(options or "").strip(), milestone=(milestone or "").strip(),
        status=status, created_at=now, updated_at=now, **fields)


def submit_request(*, requester, service, title, context, need_by, date_kind, now, requester_team=None,
                   options="", milestone="", short_notice_owned=""):
    """Send a request to `service`'s team.

    Rules: title, context, need-by (today or later, in the service's time zone) and date
    kind are required; the requester asks for one of their own teams; notice is counted
    in the service's business days, and a request with less notice than the service's
    published lead time is short notice and must carry the requester's sentence owning
    it (`short_notice_owned`), which the provider sees. Notifies the provider team lead.
    """
    today = local_today(service, now)
    errors = {}
    title, context = _validate_draft(errors, title=title, context=context, need_by=need_by, date_kind=date_kind,
                                     today=today)
    notice = notice_for(service, need_by, today) if "need_by" not in errors else 0
    if "need_by" not in errors:
        _short_notice_errors(errors, service, notice, short_notice_owned)
    try:
        team_id = _resolve_requester_team(requester, requester_team)
    except ValidationError as e:
        errors.update(e.message_dict)
    _raise(errors)
    request = _new_request(
        requester=requester, requester_team_id=team_id, service=service, title=title, context=context,
        need_by=need_by, date_kind=date_kind, options=options, milestone=milestone, status=Status.SUBMITTED,
        now=now, submitted_at=now, notice_business_days=notice, short_notice=notice < service.lead_time_days,
        short_notice_owned=(short_notice_owned or "").strip() if notice < service.lead_time_days else "")
    lead = service.team.lead_id
    recipients = [lead] if lead else provider_contacts(request)
    body = f"{requester} asks: {title}\nNeeded by {need_by:%a %d %b %Y} ({date_kind}).\n\n{context}"
    if request.short_notice:
        body += f"\n\nShort notice ({notice} business days), owned: {request.short_notice_owned}"
    created = dict(need_by=need_by, date_kind=date_kind, notice_business_days=notice, short_notice=request.short_notice)
    if connection.vendor == "postgresql":
        request.pk = _REQUEST_ID
        event = _new_event(request, EventKind.CREATED, requester, now, **created)
        event.pk = _EVENT_ID
        rows = _tell_rows(recipients, request, event, "request.submitted", f"New request: {title}", body)
        event.pk = request.pk = None
        _insert_new_request(request, event, rows)
        return request
    with transaction.atomic():
        request.save(force_insert=True)
        event = _event(request, EventKind.CREATED, requester, now, **created)
        _tell(recipients, request, event, "request.submitted", f"New request: {title}", body)
    return request


@transaction.atomic
def create_forecast(*, requester, service, title, context, need_by, date_kind, probability, confirm_by, now,
                    requester_team=None, options="", milestone=""):
    """Give the provider a heads-up: an expected need date, a probability and a confirm-by date.

    Rules: as for a request (title, context, need-by not in the past, date kind), plus a
    probability from 1 to 100 % and a confirm-by date between today and the need date.
    The provider sees it in its forecast demand; nobody is notified yet. Notice is
    counted from today, so confirming later keeps the heads-up's notice.
    """
    today = local_today(service, now)
    errors = {}
    title, context = _validate_draft(errors, title=title, context=context, need_by=need_by, date_kind=date_kind,
                                     today=today)
    _validate_probability(errors, probability)
    _validate_confirm_by(errors, confirm_by, need_by if "need_by" not in errors else None, today)
    try:
        team_id = _resolve_requester_team(requester, requester_team)
    except ValidationError as e:
        errors.update(e.message_dict)
    _raise(errors)
    notice = notice_for(service, need_by, today)
    request = _new_request(
        requester=requester, requester_team_id=team_id, service=service, title=title, context=context,
        need_by=need_by, date_kind=date_kind, options=options, milestone=milestone, status=Status.FORECAST,
        now=now, probability=probability, confirm_by=confirm_by, notice_business_days=notice,
        short_notice=notice < service.lead_time_days)
    request.save(force_insert=True)
    _event(request, EventKind.CREATED, requester, now, forecast=True, need_by=need_by, probability=probability,
           confirm_by=confirm_by, notice_business_days=notice)
    return request


@transaction.atomic
def update_forecast(request, *, by, now, need_by=None, probability=None, confirm_by=None, reason=""):
    """Change a forecast's expected date, probability or confirm-by date.

    Rules: requester side only, only while it is a forecast; the same validity as at
    creation; every change is kept in the history (old and new values in one
    forecast_changed event). A new confirm-by date re-arms its one reminder.
    """
    _require_requester(request, by, "change the forecast")
    _lock(request)
    _require_status(request, (Status.FORECAST,), "change the forecast of")
    today = local_today(request.service, now)
    errors, changes = {}, {}
    new_need_by = need_by if need_by is not None else request.need_by
    if need_by is not None and need_by != request.need_by:
        if need_by < today:
            errors["need_by"] = f"The need-by date {need_by:%Y-%m-%d} is in the past; choose today or a later date."
        changes["need_by"] = [request.need_by, need_by]
    if probability is not None and probability != request.probability:
        _validate_probability(errors, probability)
        changes["probability"] = [request.probability, probability]
    new_confirm_by = confirm_by if confirm_by is not None else request.confirm_by
    if confirm_by is not None and confirm_by != request.confirm_by:
        changes["confirm_by"] = [request.confirm_by, confirm_by]
    if confirm_by is not None or need_by is not None:
        if confirm_by is not None and confirm_by < today:
            errors["confirm_by"] = f"The confirm-by date {confirm_by:%Y-%m-%d} is in the past."
        elif new_confirm_by and new_need_by and new_confirm_by > new_need_by:
            errors["confirm_by"] = "The confirm-by date must come on or before the expected need date."
    _raise(errors)
    if not changes:
        raise ValidationError("Nothing to change: give a new need-by date, probability or confirm-by date.")
    if "need_by" in changes:
        request.need_by = request.due_date = need_by
    if "probability" in changes:
        request.probability = probability
    if "confirm_by" in changes:
        request.confirm_by = confirm_by
        request.confirm_reminded_at = None
    _save(request, now, "need_by", "due_date", "probability", "confirm_by", "confirm_reminded_at")
    _event(request, EventKind.FORECAST_CHANGED, by, now, reason=(reason or "").strip(),
           changes={k: [_jsonable(v) for v in pair] for k, pair in changes.items()})
    return request


@transaction.atomic
def confirm_forecast(request, *, by, now, short_notice_owned=""):
    """Turn a forecast into a request.

    Rules: requester side, only from forecast; the need date must still be ahead. Notice
    is counted from the forecast's creation (the heads-up was the notice), so a forecast
    made in good time is not short notice even if confirmed late; if it still is short,
    the requester owns it in a sentence. Time to acknowledge runs from now.
    """
    _require_requester(request, by, "confirm the forecast")
    _lock(request)
    _require_status(request, (Status.FORECAST,), "confirm")
    service = request.service
    today = local_today(service, now)
    errors = {}
    if request.need_by < today:
        errors["need_by"] = (f"The expected date {request.need_by:%Y-%m-%d} has passed; change it "
                             "before confirming.")
    notice = notice_for(service, request.need_by, local_today(service, request.created_at))
    if not errors:
        _short_notice_errors(errors, service, notice, short_notice_owned)
    _raise(errors)
    request.status = Status.SUBMITTED
    request.submitted_at = now
    request.notice_business_days = notice
    request.short_notice = notice < service.lead_time_days
    request.short_notice_owned = (short_notice_owned or "").strip() if request.short_notice else ""
    _save(request, now, "status", "submitted_at", "notice_business_days", "short_notice", "short_notice_owned")
    event = _event(request, EventKind.CONFIRMED, by, now, probability=request.probability,
                   notice_business_days=notice)
    _tell(provider_contacts(request), request, event, "request.submitted",
          f"Forecast confirmed: {request.title}",
          f"{by} confirms the heads-up: needed by {request.need_by:%a %d %b %Y}.\n\n{request.context}")
    return request


@transaction.atomic
def withdraw(request, *, by, now, reason=""):
    """Withdraw a forecast or an open request. Requester side; not once delivered or closed."""
    _require_requester(request, by, "withdraw the request")
    _lock(request)
    _require_status(request, (Status.FORECAST, *OPEN_STATUSES), "withdraw")
    was_forecast = request.status == Status.FORECAST
    request.status = Status.WITHDRAWN
    request.withdrawn_at = now
    _save(request, now, "status", "withdrawn_at")
    event = _event(request, EventKind.WITHDRAWN, by, now, reason=(reason or "").strip(), was_forecast=was_forecast)
    if not was_forecast:
        _tell(provider_contacts(request), request, event, "request.withdrawn", f"Withdrawn: {request.title}",
              reason or "")
    return request


# --- the provider's side ---------------------------------------------------------------

@transaction.atomic
def acknowledge(request, *, by, now):
    """Say 'we have it'. Provider side, only from submitted; the acknowledger becomes the
    provider owner (reminders go to them). Time to acknowledge = now - submitted_at."""
    _require_provider(request, by, "acknowledge")
    _lock(request)
    _require_status(request, (Status.SUBMITTED,), "acknowledge")
    request.status = Status.ACKNOWLEDGED
    request.acknowledged_at = now
    request.provider_owner = by
    _save(request, now, "status", "acknowledged_at", "provider_owner")
    event = _event(request, EventKind.ACKNOWLEDGED, by, now,
                   seconds_to_acknowledge=int((now - request.submitted_at).total_seconds()))
    _tell([request.requester_id], request, event, "request.acknowledged", f"Acknowledged: {request.title}",
          f"{by} has your request.")
    return request


def _check_future_date(errors, field, value, today):
    if value is None:
        errors[field] = "A date is required."
    elif value < today:
        errors[field] = f"{value:%Y-%m-%d} is in the past; commit to today or a later date."


@transaction.atomic
def commit_to_date(request, *, by, date, now, note=""):
    """Commit to delivering on `date` (which may differ from need-by, ideally one of the options).

    Rules: provider side; only from submitted or acknowledged (a committed request
    changes its date with change_commitment, a slip); the date is today or later.
    Committing unacknowledged work acknowledges it too.
    """
    _require_provider(request, by, "commit to a date")
    _lock(request)
    if request.status == Status.COMMITTED:
        raise ValidationError({"status": "Already committed: a new date is a slip (change the commitment, "
                                         "with a reason)."})
    _require_status(request, (Status.SUBMITTED, Status.ACKNOWLEDGED), "commit to a date on")
    errors = {}
    _check_future_date(errors, "date", date, local_today(request.service, now))
    _raise(errors)
    if request.acknowledged_at is None:
        request.acknowledged_at = now
        _event(request, EventKind.ACKNOWLEDGED, by, now,
               seconds_to_acknowledge=int((now - request.submitted_at).total_seconds()))
    request.status = Status.COMMITTED
    request.committed_date = request.due_date = date
    request.committed_at = now
    request.provider_owner = by
    _save(request, now, "status", "acknowledged_at", "committed_date", "due_date", "committed_at", "provider_owner")
    event = _event(request, EventKind.COMMITTED, by, now, date=date, need_by=request.need_by,
                   meets_need_by=date <= request.need_by, note=(note or "").strip())
    late = "" if date <= request.need_by else f" — after your need-by date {request.need_by:%d %b}"
    _tell([request.requester_id], request, event, "request.committed",
          f"Committed for {date:%a %d %b}: {request.title}", f"{by} commits to {date:%a %d %b %Y}{late}.\n{note}")
    return request


@transaction.atomic
def change_commitment(request, *, by, new_date, reason, now):
    """Move a commitment: a slip. Every slip is kept (old date, new date, reason, who, when).

    Rules: provider side; only on a committed request; a reason is required; the new
    date differs from the old and is not in the past.
    """
    _require_provider(request, by, "change the commitment")
    _lock(request)
    _require_status(request, (Status.COMMITTED,), "change the commitment of")
    errors = {}
    reason = _required_text(errors, "reason", reason, "A reason for the slip")
    _check_future_date(errors, "new_date", new_date, local_today(request.service, now))
    if new_date is not None and new_date == request.committed_date:
        errors["new_date"] = f"The commitment is already {new_date:%Y-%m-%d}."
    _raise(errors)
    old = request.committed_date
    Slip.objects.create(request=request, old_date=old, new_date=new_date, reason=reason, by=by, at=now)
    request.committed_date = request.due_date = new_date
    request.slip_count += 1
    _save(request, now, "committed_date", "due_date", "slip_count")
    event = _event(request, EventKind.SLIPPED, by, now, old_date=old, new_date=new_date, reason=reason)
    if request.date_kind == DateKind.HARD and new_date > request.need_by:
        _tell_past_hard_date(request, event, old, by, reason)
    else:
        _tell([request.requester_id], request, event, "request.slipped",
              f"New date {new_date:%a %d %b} (was {old:%d %b}): {request.title}", f"{by}: {reason}")
    return request


def _tell_past_hard_date(request, event, old, by, reason):
    """A commitment now lands after a *hard* need-by date: both sides hear it in the same
    sweep (requester and their lead, the provider's owner and lead), with what changed."""
    leads = dict(Team.objects.filter(pk__in=[request.provider_team_id, request.requester_team_id])
                 .values_list("pk", "lead_id"))
    requester_side = [request.requester_id, leads.get(request.requester_team_id)]
    provider_side = [request.provider_owner_id, leads.get(request.provider_team_id)]
    team = {None: request.provider_team_id, **{p: request.requester_team_id for p in requester_side if p}}
    new = request.committed_date
    was = "already after it" if old > request.need_by else f"was {old:%a %d %b}, in time"
    body = (f"{by} moved the commitment to {new:%a %d %b %Y} ({was}); the hard need-by date is "
            f"{request.need_by:%a %d %b %Y}.\nReason: {reason}\n\n"
            f"{request.requester_team} needs it by then; {request.provider_team} cannot deliver before. "
            "Agree now on an option, a partial delivery or a new plan, together.")
    _tell([*requester_side, *provider_side], request, event, "request.slipped.past_hard_date",
          f"Past the hard date {request.need_by:%d %b}: now {new:%a %d %b}: {request.title}", body, team=team)


@transaction.atomic
def decline(request, *, by, reason, now):
    """Say no, with a reason. Provider side; only while the request is open."""
    _require_provider(request, by, "decline")
    _lock(request)
    _require_status(request, OPEN_STATUSES, "decline")
    errors = {}
    reason = _required_text(errors, "reason", reason, "A reason for declining")
    _raise(errors)
    request.status = Status.DECLINED
    request.declined_at = now
    request.decline_reason = reason
    _save(request, now, "status", "declined_at", "decline_reason")
    event = _event(request, EventKind.DECLINED, by, now, reason=reason)
    _tell([request.requester_id], request, event, "request.declined", f"Declined: {request.title}",
          f"{by}: {reason}")
    return request


@transaction.atomic
def post_progress(request, *, by, text, now):
    """A progress update for the requester. Provider side; only while the request is open."""
    _require_provider(request, by, "post progress")
    _require_status(request, OPEN_STATUSES, "post progress on")
    errors = {}
    text = _required_text(errors, "text", text, "The update")
    _raise(errors)
    event = _event(request, EventKind.PROGRESS, by, now, text=text)
    _tell([request.requester_id], request, event, "request.progress", f"Progress: {request.title}", text)
    return event


@transaction.atomic
def raise_blocker(request, *, by, description, now):
    """Record what is in the way. Either side (a blocker is often 'waiting on you');
    only while open; both sides see it until it is cleared."""
    _require_either_side(request, by, "raise a blocker")
    _lock(request)
    _require_status(request, OPEN_STATUSES, "raise a blocker on")
    errors = {}
    description = _required_text(errors, "description", description, "A description of the blocker")
    _raise(errors)
    blocker = Blocker.objects.create(request=request, description=description, raised_by=by, raised_at=now)
    request.open_blockers += 1
    _save(request, now, "open_blockers")
    event = _event(request, EventKind.BLOCKED, by, now, blocker=blocker.pk, description=description)
    other = [request.requester_id] if acts_as_provider(request, by) else provider_contacts(request)
    _tell(other, request, event, "request.blocked", f"Blocked: {request.title}", description)
    return blocker


@transaction.atomic
def clear_blocker(blocker, *, by, now, resolution=""):
    """Clear an open blocker. Either side."""
    request = blocker.request
    _require_either_side(request, by, "clear a blocker")
    _lock(request)
    blocker.refresh_from_db(from_queryset=Blocker.objects.select_for_update())
    if blocker.cleared_at is not None:
        raise ValidationError({"blocker": f"This blocker was already cleared on {blocker.cleared_at:%Y-%m-%d}."})
    blocker.cleared_by, blocker.cleared_at, blocker.resolution = by, now, (resolution or "").strip()
    blocker.save(update_fields=["cleared_by", "cleared_at", "resolution"])
    request.open_blockers = max(0, request.open_blockers - 1)
    _save(request, now, "open_blockers")
    event = _event(request, EventKind.UNBLOCKED, by, now, blocker=blocker.pk, resolution=blocker.resolution)
    other = [request.requester_id] if acts_as_provider(request, by) else provider_contacts(request)
    _tell(other, request, event, "request.unblocked", f"Unblocked: {request.title}", blocker.resolution)
    return blocker


@transaction.atomic
def deliver(request, *, by, now, note=""):
    """Deliver. Provider side, from any open status; the requester then accepts or reopens."""
    _require_provider(request, by, "deliver")
    _lock(request)
    _require_status(request, OPEN_STATUSES, "deliver")
    request.status = Status.DELIVERED
    request.delivered_at = now
    if request.acknowledged_at is None:
        request.acknowledged_at = now
    if request.provider_owner_id is None:
        request.provider_owner = by
    _save(request, now, "status", "delivered_at", "acknowledged_at", "provider_owner")
    on_time = request.committed_date is None or local_today(request.service, now) <= request.committed_date
    event = _event(request, EventKind.DELIVERED, by, now, note=(note or "").strip(), on_time=on_time)
    _tell([request.requester_id], request, event, "request.delivered", f"Delivered: {request.title}",
          f"{by} delivered. Accept it (and rate it), or reopen it saying what is missing.\n{note}")
    return request


# --- the requester's side after delivery ------------------------------------------------

def _validate_quality(errors, quality):
    if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 5:
        errors["quality"] = f"Rate the quality from 1 to 5; {quality!r} is not."


@transaction.atomic
def accept(request, *, by, quality, now, thanks="", impact=""):
    """Accept a delivery with a quality rating (1-5), and optionally thanks.

    Rules: requester side; only when delivered. When no thanks are given the pages
    prompt for them (needs_thanks()).
    """
    _require_requester(request, by, "accept the delivery")
    _lock(request)
    _require_status(request, (Status.DELIVERED,), "accept")
    errors = {}
    _validate_quality(errors, quality)
    _raise(errors)
    request.status = Status.ACCEPTED
    request.accepted_at = now
    request.quality = quality
    _save(request, now, "status", "accepted_at", "quality")
    event = _event(request, EventKind.ACCEPTED, by, now, quality=quality)
    _tell(provider_contacts(request), request, event, "request.accepted", f"Accepted ({quality}/5): {request.title}")
    if (thanks or "").strip():
        _thank(request, by=by, message=thanks, impact=impact, now=now)
    return request


@transaction.atomic
def reopen(request, *, by, missing, now):
    """Send a delivery back as rework, saying what is missing. Requester side; only when
    delivered. It returns to committed (or acknowledged if there was no commitment)."""
    _require_requester(request, by, "reopen the request")
    _lock(request)
    _require_status(request, (Status.DELIVERED,), "reopen")
    errors = {}
    missing = _required_text(errors, "missing", missing, "What is missing")
    _raise(errors)
    request.status = Status.COMMITTED if request.committed_date else Status.ACKNOWLEDGED
    request.delivered_at = None
    request.rework_count += 1
    _save(request, now, "status", "delivered_at", "rework_count")
    event = _event(request, EventKind.REOPENED, by, now, missing=missing)
    _tell(provider_contacts(request), request, event, "request.reopened", f"Reopened for rework: {request.title}",
          f"{by}: {missing}")
    return request


def deliverers(request):
    """The people who did the work: every provider-side actor on the request, in one query."""
    kinds = [EventKind.ACKNOWLEDGED, EventKind.COMMITTED, EventKind.PROGRESS, EventKind.DELIVERED,
             EventKind.SLIPPED]
    return list(RequestEvent.objects.filter(request=request, kind__in=kinds, actor__isnull=False)
                .values_list("actor_id", flat=True).distinct())


def _thank(request, *, by, message, impact, now):
    errors = {}
    message = _required_text(errors, "message", message, "A thank-you message")
    _raise(errors)
    thanks = Thanks.objects.create(request=request, by=by, message=message, impact=(impact or "").strip(), at=now)
    event = _event(request, EventKind.THANKED, by, now, message=message, impact=thanks.impact)
    lead_id = Team.objects.filter(pk=request.provider_team_id).values_list("lead_id", flat=True).first()
    body = message + (f"\n\nWhat it made possible: {thanks.impact}" if thanks.impact else "")
    _tell([*deliverers(request), lead_id], request, event, "request.thanks", f"Thank you from {by}: {request.title}",
          body)
    return thanks


@transaction.atomic
def thank(request, *, by, message, now, impact=""):
    """Say thank you and what the delivery made possible. Requester side; once delivered
    or accepted. Goes to the people who delivered and their team lead."""
    _require_requester(request, by, "thank the provider")
    _require_status(request, (Status.DELIVERED, Status.ACCEPTED), "thank the provider for")
    return _thank(request, by=by, message=message, impact=impact, now=now)


def needs_thanks(request):
    """True when an accepted request has no thanks yet: the pages prompt for them."""
    return request.status == Status.ACCEPTED and not request.thanks.exists()


@transaction.atomic
def comment(request, *, by, text, now):
    """A comment on the timeline. Either side, in any status."""
    _require_either_side(request, by, "comment")
    errors = {}
    text = _required_text(errors, "text", text, "The comment")
    _raise(errors)
    event = _event(request, EventKind.COMMENTED, by, now, text=text)
    other = provider_contacts(request) if acts_as_requester(request, by) else [request.requester_id]
    _tell(other, request, event, "request.comment", f"Comment from {by}: {request.title}", text)
    return event


@transaction.atomic
def add_attachment(request, *, by, file, now, name=""):
    """Attach a file. Either side, while not closed; checked by the one validator (attachments.py)."""
    _require_either_side(request, by, "attach files")
    _require_status(request, (Status.FORECAST, *OPEN_STATUSES, Status.DELIVERED), "attach files to")
    upload = clean_upload(file, name or getattr(file, "name", ""))
    attachment = Attachment.objects.create(request=request, file=upload.as_file(), name=upload.name,
                                           uploaded_by=by, at=now)
    _event(request, EventKind.ATTACHED, by, now, attachment=attachment.pk, name=attachment.name)
    return attachment


# --- escalation with warning ------------------------------------------------------------

def escalation_target(request):
    """Whom an escalation goes to: the provider team lead's manager (Person.manager);
    failing that, the lead of the nearest ancestor team with another lead; else None."""
    team = Team.objects.select_related("lead__manager").get(pk=request.provider_team_id)
    lead = team.lead
    if lead is not None and lead.manager is not None:
        return lead.manager
    for ancestor in team.ancestors():
        if ancestor.lead_id and ancestor.lead_id != getattr(lead, "pk", None):
            return ancestor.lead
    return None


def requester_lead(request):
    """The requester's lead: their team's lead, or their own manager when they lead it."""
    team = Team.objects.select_related("lead").get(pk=request.requester_team_id)
    if team.lead_id and team.lead_id != request.requester_id:
        return team.lead
    return Person.objects.filter(pk=request.requester.manager_id).first()


def grace_days(service):
    return ServicePolicy.for_service(service).escalation_grace_days


@transaction.atomic
def warn_before_escalating(request, *, by, now, deadline=None, message=""):
    """Warn the provider: 'if this is not settled by <deadline>, I will ask <manager> for help'.

    Rules: requester side; only while open; the deadline is at least the service's grace
    period (default 2 business days) after today — by default exactly that. Escalation
    becomes possible the day after the deadline.
    """
    _require_requester(request, by, "warn before escalating")
    _lock(request)
    _require_status(request, OPEN_STATUSES, "warn about escalating")
    service = request.service
    today = local_today(service, now)
    grace = grace_days(service)
    earliest = add_business_days(today, grace, service.working_days)
    deadline = deadline or earliest
    if deadline < earliest:
        raise ValidationError({"deadline": (
            f"Give at least the grace period of {grace} business days: the deadline can be "
            f"{earliest:%a %d %b %Y} or later.")})
    manager = escalation_target(request)
    warning = EscalationWarning.objects.create(request=request, by=by, manager=manager, deadline=deadline,
                                               message=(message or "").strip(), at=now)
    who = manager.name if manager else "your management"
    text = f"If this is not settled by {deadline:%a %d %b %Y}, I will ask {who} for help."
    event = _event(request, EventKind.WARNED, by, now, deadline=deadline, manager=getattr(manager, "pk", None),
                   message=warning.message, text=text)
    lead_id = Team.objects.filter(pk=request.provider_team_id).values_list("lead_id", flat=True).first()
    _tell([*provider_contacts(request), lead_id], request, event, "request.warning",
          f"Heads-up before escalation: {request.title}", f"{by}: {text}\n{warning.message}")
    return warning


@transaction.atomic
def escalate(request, *, by, now, emergency_override=False, justification="", message=""):
    """Ask management for help.

    Rules: requester side; only while open. Normally it needs a prior warning whose
    deadline has passed (the grace period, default 2 business days), and one escalation
    per warning; earlier is refused with the date it becomes possible. An emergency
    override skips the warning but needs a justification, and is counted separately
    (Escalation.emergency_override). Notifies the provider lead's manager and the
    requester's lead; the provider sees it too.
    """
    _require_requester(request, by, "escalate")
    _lock(request)
    _require_status(request, OPEN_STATUSES, "escalate")
    service = request.service
    today = local_today(service, now)
    warning = request.escalation_warnings.order_by("-at", "-id").first()
    if emergency_override:
        justification = (justification or "").strip()
        if not justification:
            raise ValidationError({"justification": (
                "An emergency override skips the warning and grace period: say why it cannot wait.")})
    else:
        grace = grace_days(service)
        if warning is None:
            raise ValidationError({"warning": (
                f"Warn the provider first: say 'if this is not settled by <date>, I will ask <manager> for "
                f"help', then allow the grace period of {grace} business days. For a true emergency, use the "
                "emergency override with a justification.")})
        if today <= warning.deadline:
            raise ValidationError({"warning": (
                f"You warned on {timezone.localtime(warning.at):%a %d %b} that you would escalate if this was "
                f"not settled by {warning.deadline:%a %d %b}; you can escalate from "
                f"{warning.deadline + timedelta(days=1):%a %d %b}. For a true emergency, use the emergency "
                "override with a justification.")})
        if warning.escalations.exists():
            raise ValidationError({"warning": "Already escalated after this warning; warn again first."})
    escalation = Escalation.objects.create(
        request=request, warning=None if emergency_override else warning, by=by, at=now,
        emergency_override=bool(emergency_override), justification=justification if emergency_override else "",
        message=(message or "").strip())
    request.escalated_at = now
    _save(request, now, "escalated_at")
    manager, req_lead = escalation_target(request), requester_lead(request)
    notified = [p.pk for p in (manager, req_lead) if p is not None]
    event = _event(request, EventKind.ESCALATED, by, now, emergency=bool(emergency_override),
                   justification=escalation.justification, message=escalation.message, notified=notified)
    body = (f"{by} asks for your help with a request from {request.requester_team} to {request.provider_team}: "
            f"{request.title}.\n\n{request.context}\n\n{escalation.message}")
    if emergency_override:
        body += f"\n\nEmergency override, without the usual warning: {justification}"
    _tell(notified, request, event, "request.escalated", f"Escalation: {request.title}", body)
    notify([p for p in provider_contacts(request) if p not in notified and p != by.pk],
           kind="request.escalated", subject=f"[{service.name}] Escalated: {request.title}",
           body=f"{by} has escalated this request.", link=request.get_absolute_url(),
           dedupe_key=f"request:{request.pk}:event:{event.pk}:provider", now=now)
    return escalation


# --- lists and figures ------------------------------------------------------------------

INBOX_BUCKETS = ("new", "unacknowledged", "due_soon", "overdue", "blocked")
NEW_FOR = timedelta(days=1)
DUE_SOON_BUSINESS_DAYS = 3


def _bucket_filters(now):
    today = timezone.localdate(now)
    soon = add_business_days(today, DUE_SOON_BUSINESS_DAYS)
    return {
        "new": Q(status=Status.SUBMITTED, submitted_at__gte=now - NEW_FOR),
        "unacknowledged": Q(status=Status.SUBMITTED, submitted_at__lt=now - NEW_FOR),
        "due_soon": Q(status__in=OPEN_STATUSES, due_date__gte=today, due_date__lte=soon),
        "overdue": Q(status__in=OPEN_STATUSES, due_date__lt=today),
        "blocked": Q(status__in=OPEN_STATUSES, open_blockers__gt=0),
    }


def team_inbox(team, *, now, bucket=None):
    """The provider team's open requests, soonest due first; `bucket` narrows to one of
    INBOX_BUCKETS: new (submitted in the last day), unacknowledged (older, still not
    acknowledged), due soon (within 3 business days), overdue, blocked."""
    qs = Request.objects.filter(provider_team=team)
    if bucket:
        if bucket not in INBOX_BUCKETS:
            raise ValidationError({"bucket": f"Unknown bucket {bucket!r}; one of {', '.join(INBOX_BUCKETS)}."})
        qs = qs.filter(_bucket_filters(now)[bucket])
    else:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.select_related("service", "requester", "requester_team").order_by("due_date", "id")


def inbox_counts(team, *, now):
    """{bucket: count, "all": open requests} for the team inbox, in one aggregate query.

    Every bucket needs an open status, so the aggregate reads the team's open rows only
    (the partial index req_inbox_open, index-only on PostgreSQL) rather than everything
    the team ever received: ~2,400 index entries instead of 43,000 heap rows for the
    busiest team of bench/requests_inbox.py (211 ms -> a few ms).
    """
    return Request.objects.filter(provider_team=team, status__in=OPEN_STATUSES).aggregate(
        all=Count("id"), **{name: Count("id", filter=q) for name, q in _bucket_filters(now).items()})


def my_requests(person, *, status=None, open_only=False):
    """The requests `person` made, newest first, optionally by status or only open ones."""
    qs = Request.objects.filter(requester=person)
    if status:
        if status not in Status.values:
            raise ValidationError({"status": f"Unknown status {status!r}; one of {', '.join(Status.values)}."})
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    return qs.select_related("service", "provider_team").order_by("-created_at", "-id")


def forecast_demand_by_week(team, *, now, weeks=12):
    """Forecast demand next to confirmed work, per ISO week, for the next `weeks` weeks.

    Rows: {"week": Monday, "forecast_count", "forecast_load" (sum of probabilities, so
    two 50 % forecasts weigh one request), "confirmed_count" (open requests due that
    week)}. Two aggregate queries, whatever the volume.
    """
    today = timezone.localdate(now)
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(weeks=weeks)
    base = Request.objects.filter(provider_team=team, due_date__gte=start, due_date__lt=end)
    forecasts = (base.filter(status=Status.FORECAST).annotate(week=TruncWeek("due_date")).values("week")
                 .annotate(n=Count("id"), load=Sum("probability")).order_by())
    confirmed = (base.filter(status__in=OPEN_STATUSES).annotate(week=TruncWeek("due_date")).values("week")
                 .annotate(n=Count("id")).order_by())

    def as_date(value):
        return value.date() if isinstance(value, datetime) else value

    f = {as_date(r["week"]): r for r in forecasts}
    c = {as_date(r["week"]): r["n"] for r in confirmed}
    rows = []
    for i in range(weeks):
        week = start + timedelta(weeks=i)
        row = f.get(week, {})
        rows.append({"week": week, "forecast_count": row.get("n", 0),
                     "forecast_load": round((row.get("load") or 0) / 100, 2),
                     "confirmed_count": c.get(week, 0)})
    return rows


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median, computed in the database."""

    function = "PERCENTILE_CONT"
    name = "median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def acknowledgement_times_by_team(*, since=None):
    """Time to acknowledge per provider team, as one aggregate query over requests.

    Rows: {"provider_team", "requests", "average"} plus "median" on PostgreSQL (SQLite
    has no percentile function). Durations are timedeltas.
    """
    duration = ExpressionWrapper(F("acknowledged_at") - F("submitted_at"), output_field=DurationField())
    qs = Request.objects.filter(acknowledged_at__isnull=False, submitted_at__isnull=False)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    aggregates = {"requests": Count("id"), "average": Avg(duration)}
    if connection.vendor == "postgresql":
        aggregates["median"] = Median(duration, output_field=DurationField())
    return qs.values("provider_team").annotate(**aggregates).order_by("provider_team")


# --- reminders (the requests.reminders sweep) ---------------------------------------------

def _policy(service):
    try:
        return service.request_policy
    except ServicePolicy.DoesNotExist:
        return ServicePolicy(service=service)


def _owner_or_lead(request):
    return request.provider_owner_id or request.provider_team.lead_id


def due_reminders(now):
    """Remind providers before committed dates: per service policy (default 3 and 1
    business days before), on the service's working days.

    Exactly once: each reminder's dedupe key is (request, committed date, threshold), so
    any number of sweeps, on any number of workers, queue it once; a new date (a slip)
    gets its own reminders. A sweep that missed a day still sends the nearest threshold.
    Returns the number of reminders queued (or already queued).
    """
    max_days = max([3, *(max(p.reminder_days or [0]) for p in ServicePolicy.objects.all())])
    utc_today = now.date()
    window = (Request.objects.filter(status=Status.COMMITTED, committed_date__gte=utc_today - timedelta(days=1),
                                     committed_date__lte=utc_today + timedelta(days=max_days * 2 + 7))
              .select_related("service__request_policy", "provider_team"))
    rows = []
    for request in window.iterator(chunk_size=2000):
        service = request.service
        today = local_today(service, now)
        if str(today.isoweekday()) not in service.working_days:
            continue
        remaining = notice_for(service, request.committed_date, today)
        if remaining < 0:
            continue
        fitting = [d for d in _policy(service).reminder_days if remaining <= d]
        if not fitting:
            continue
        threshold = min(fitting)
        when = "today" if remaining == 0 else f"in {remaining} business day{'s' if remaining > 1 else ''}"
        rows += message_rows(
            [_owner_or_lead(request)], kind="request.reminder.due",
            subject=f"[{service.name}] Due {when} ({request.committed_date:%a %d %b}): {request.title}",
            body=f"You committed to {request.committed_date:%a %d %b %Y} for {request.requester_team}.",
            link=request.get_absolute_url(), now=now,
            dedupe_key=f"request:{request.pk}:due:{request.committed_date.isoformat()}:{threshold}")
    queue(rows)
    return len(rows)


def overdue_reminders(now):
    """Once a commitment is overdue: a daily reminder to the provider and a notice to the
    requester, on the service's working days, unless the service turned them off.

    Exactly once a day: the dedupe key holds the request and the local date.
    """
    utc_today = now.date()
    late = (Request.objects.filter(status=Status.COMMITTED, committed_date__lt=utc_today + timedelta(days=1))
            .select_related("service__request_policy", "provider_team"))
    rows = []
    for request in late.iterator(chunk_size=2000):
        service = request.service
        today = local_today(service, now)
        if request.committed_date >= today or str(today.isoweekday()) not in service.working_days:
            continue
        if not _policy(service).overdue_reminders:
            continue
        days = business_days_between(request.committed_date, today, service.working_days)
        key = f"request:{request.pk}:overdue:{today.isoformat()}"
        link = request.get_absolute_url()
        rows += message_rows(
            [_owner_or_lead(request)], kind="request.reminder.overdue", link=link, now=now, dedupe_key=key,
            subject=f"[{service.name}] Overdue by {days} business day{'s' if days > 1 else ''}: {request.title}",
            body=(f"Committed for {request.committed_date:%a %d %b}. Deliver, or change the commitment with a "
                  f"reason so {request.requester_team} can plan."))
        rows += message_rows(
            [request.requester_id], kind="request.overdue.notice", link=link, now=now, dedupe_key=key,
            subject=f"[{service.name}] Not yet delivered (due {request.committed_date:%d %b}): {request.title}",
            body=f"{request.provider_team} has been reminded.")
    queue(rows)
    return len(rows)


def confirm_by_reminders(now):
    """Remind the requester, once, when a forecast's confirm-by date passes unanswered.

    Once: the dedupe key holds the confirm-by date, and confirm_reminded_at takes the
    forecast out of later sweeps' query (a new confirm-by date re-arms it).
    """
    utc_today = now.date()
    stale = (Request.objects.filter(status=Status.FORECAST, confirm_by__lt=utc_today + timedelta(days=1),
                                    confirm_reminded_at__isnull=True).select_related("service"))
    rows, ids = [], []
    for request in stale.iterator(chunk_size=2000):
        if request.confirm_by >= local_today(request.service, now):
            continue
        ids.append(request.pk)
        rows += message_rows(
            [request.requester_id], kind="request.reminder.confirm_by", link=request.get_absolute_url(), now=now,
            dedupe_key=f"request:{request.pk}:confirm_by:{request.confirm_by.isoformat()}",
            subject=f"[{request.service.name}] Confirm or withdraw your heads-up: {request.title}",
            body=(f"You expected to know by {request.confirm_by:%a %d %b} whether you need this on "
                  f"{request.need_by:%a %d %b} ({request.probability} %). Confirm it, change the date or "
                  "probability, or withdraw it, so the provider can plan."))
    with transaction.atomic():
        queue(rows)
        Request.objects.filter(pk__in=ids).update(confirm_reminded_at=now)
    return len(rows)


def send_reminders(now):
    """The requests.reminders sweep: all three kinds; returns counts queued per kind."""
    return {"due": due_reminders(now), "overdue": overdue_reminders(now), "confirm_by": confirm_by_reminders(now)}


def may_read_inbox(user, team):
    """A team's inbox is read by its members and by the leads and managers above it."""
    return user.is_authenticated and (team.pk in team_ids_of(user) or team.pk in scope_team_ids(user))
