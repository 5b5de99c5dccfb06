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

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.core.business_days import add_business_days
from liaison.notify.services import notify, queue
from liaison.org.models import Person, Team

from .attachments import clean_upload
from .creating import NewRequest, create_forecast, create_requests, plan_request, submit_request  # noqa: F401
from .inbox import (  # noqa: F401 - the lists live in inbox.py; these names stay importable here
    DUE_SOON_BUSINESS_DAYS,
    INBOX_BUCKETS,
    NEW_FOR,
    forecast_demand_by_week,
    inbox_counts,
    may_read_inbox,
    my_requests,
    team_inbox,
)
from .models import (
    OPEN_STATUSES,
    Attachment,
    Blocker,
    DateKind,
    Escalation,
    EscalationWarning,
    EventKind,
    RequestEvent,
    ServicePolicy,
    Slip,
    Status,
    Thanks,
)
from .rules import (  # noqa: F401 - the shared rules; local_today ... provider_contacts stay importable here
    TITLE_MAX,
    _check_future_date,
    _event,
    _jsonable,
    _lock,
    _new_event,
    _raise,
    _require_either_side,
    _require_provider,
    _require_requester,
    _require_status,
    _required_text,
    _save,
    _saved_in_bulk,
    _short_notice_errors,
    _tell,
    _tell_rows,
    _validate_probability,
    _validate_quality,
    acts_as_provider,
    acts_as_requester,
    local_today,
    notice_for,
    provider_contacts,
    team_ids_of,
)
from .sweeps import confirm_by_reminders, due_reminders, overdue_reminders, send_reminders  # noqa: F401


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
    return comment_many([(request, by, text)], now=now)[0]


def comment_many(comments, *, now):
    """Comments on many requests at once: [(request, by, text)] whose authors are on a
    side and whose texts are not empty (comment() checks one; the batched mail ingest
    checks its own before calling). One INSERT for the events, one for the
    notifications; post_save is sent for each event as save() would. Returns the events.

    The requester's comment goes to provider_contacts() (the owner, else the lead, else
    every member); the provider's to the requester.
    """
    events = [_new_event(request, EventKind.COMMENTED, by, now, text=text) for request, by, text in comments]
    with transaction.atomic(savepoint=False):  # no savepoint of its own inside comment()'s transaction
        RequestEvent.objects.bulk_create(events)
        rows = []
        for (request, by, text), event in zip(comments, events, strict=True):
            other = provider_contacts(request) if acts_as_requester(request, by) else [request.requester_id]
            rows += _tell_rows(other, request, event, "request.comment", f"Comment from {by}: {request.title}",
                               text)
        queue(rows)
        _saved_in_bulk(events)
    return events


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
