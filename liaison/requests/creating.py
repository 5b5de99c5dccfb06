"""Creating requests: the one operation every door uses, one request or a batch.

    plan = plan_request(requester=..., service=..., title=..., ..., now=now)   # checks, builds
    create_requests([plan, ...])                                               # writes
    submit_request(...)  ==  create_requests([plan_request(...)])[0]

The page, the API, the mail ingest (one message) and the CLI/demo call submit_request;
the batched mail ingest (liaison.mail.bulk) plans each message's request, sends the ones
that fail a rule down its one-message path, and creates the rest with one
create_requests() call. Either way the same rules decide, the same rows are written
(request, "created" event, notifications through liaison.notify) and the same post_save
signals are sent; how the rows reach the database — one prepared statement on
PostgreSQL, bulk INSERTs otherwise — is liaison.requests.store's business alone.

A heads-up forecast (create_forecast) notifies nobody, and is created through the ORM.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import EventKind, Request, RequestEvent, Status
from .rules import (
    _event,
    _new_event,
    _raise,
    _resolve_requester_team,
    _short_notice_errors,
    _tell_rows,
    _validate_confirm_by,
    _validate_draft,
    _validate_probability,
    local_today,
    notice_for,
    provider_contacts,
)
from .store import insert_new_requests

NEW_REQUEST_KIND = "request.submitted"


@dataclass
class NewRequest:
    """A request checked and ready to write: the unsaved request, its "created" event and
    who hears of it."""

    request: Request
    event: RequestEvent
    recipients: list = field(default_factory=list)
    subject: str = ""
    body: str = ""

    def notification_rows(self):
        """The notifications' rows (liaison.notify), once the request and event have ids."""
        return _tell_rows(self.recipients, self.request, self.event, NEW_REQUEST_KIND, self.subject, self.body)


def _new_request(*, requester, requester_team_id, service, title, context, need_by, date_kind, options,
                 milestone, status, now, **fields):
    return Request(
        requester=requester, requester_team_id=requester_team_id, service=service,
        provider_team=service.team, title=title, context=context, need_by=need_by, due_date=need_by,
        date_kind=date_kind, options=(options or "").strip(), milestone=(milestone or "").strip(),
        status=status, created_at=now, updated_at=now, **fields)


def plan_request(*, requester, service, title, context, need_by, date_kind, now, requester_team=None,
                 options="", milestone="", short_notice_owned=""):
    """Check a new request against the rules and build it (nothing written): a NewRequest.

    Rules: title, context, need-by (today or later, in the service's time zone) and date
    kind are required; the requester asks for one of their own teams; notice is counted
    in the service's business days, and a request with less notice than the service's
    published lead time is short notice and must carry the requester's sentence owning
    it (`short_notice_owned`), which the provider sees. Raises ValidationError naming
    every field at fault.
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
    short = notice < service.lead_time_days
    request = _new_request(
        requester=requester, requester_team_id=team_id, service=service, title=title, context=context,
        need_by=need_by, date_kind=date_kind, options=options, milestone=milestone, status=Status.SUBMITTED,
        now=now, submitted_at=now, notice_business_days=notice, short_notice=short,
        short_notice_owned=(short_notice_owned or "").strip() if short else "")
    lead = service.team.lead_id
    recipients = [lead] if lead else provider_contacts(request)  # rare: no lead → every member (one query)
    body = f"{requester} asks: {title}\nNeeded by {need_by:%a %d %b %Y} ({date_kind}).\n\n{context}"
    if short:
        body += f"\n\nShort notice ({notice} business days), owned: {request.short_notice_owned}"
    event = _new_event(request, EventKind.CREATED, requester, now, need_by=need_by, date_kind=date_kind,
                       notice_business_days=notice, short_notice=short)
    return NewRequest(request, event, recipients, f"New request: {title}", body)


def create_requests(plans):
    """Write planned requests (plan_request), each with its "created" event, and notify
    each provider's lead (or, without a lead, every member). Returns the requests."""
    if plans:
        insert_new_requests(plans)
    return [plan.request for plan in plans]


def submit_request(*, requester, service, title, context, need_by, date_kind, now, requester_team=None,
                   options="", milestone="", short_notice_owned=""):
    """Send a request to `service`'s team: plan_request's rules, then create_requests.
    Notifies the provider team lead."""
    plan = plan_request(requester=requester, service=service, title=title, context=context, need_by=need_by,
                        date_kind=date_kind, now=now, requester_team=requester_team, options=options,
                        milestone=milestone, short_notice_owned=short_notice_owned)
    return create_requests([plan])[0]


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
