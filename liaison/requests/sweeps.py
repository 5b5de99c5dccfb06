"""Periodic sweeps of requests, registered by RequestsConfig.ready(): the reminders.

Each queues notifications (liaison.notify) under dedupe keys that make it exactly once,
whatever the number of sweeps and workers; notify.deliver sends them.
"""

from datetime import timedelta

from django.db import transaction

from liaison.core.business_days import business_days_between
from liaison.core.sweeps import sweep
from liaison.notify.services import message_rows, queue

from .models import Request, ServicePolicy, Status
from .rules import local_today, notice_for


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


@sweep("requests.reminders", every=300)
def reminders(now):
    """Queue due-date, overdue and confirm-by reminders; notify.deliver sends them."""
    return send_reminders(now)
