"""Keeping RequestFact in step with the requests (see models.py for the why).

    refresh_facts(now)          the `insights.facts` sweep: events above the watermark
    rebuild_facts(now)          every request, in id-ordered chunks (first install, bench)
    facts_for(request_ids, now) recompute and upsert the facts of these requests
"""

from collections import Counter

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Max, Q

from liaison.requests.models import OPEN_STATUSES, Escalation, Request, RequestEvent, Status, Thanks

from .models import RequestFact, Watermark

WATERMARK = "insights.facts"
#: Event ids are assigned before their transaction commits, so a slow transaction can make
#: a lower id visible after a higher one was folded in. Each sweep re-reads this many ids
#: below the watermark; recomputing a fact twice is harmless.
OVERLAP_IDS = 5000
CHUNK = 5000

FIELDS = ["provider_team_id", "requester_team_id", "service_id", "requester_id", "month", "status", "submitted_s",
          "acknowledged_s", "committed_s", "delivered_s", "stopped_s", "declined", "delivered", "committed",
          "on_time", "slips", "rework", "quality", "open_blockers", "is_open", "notice_days", "lead_time_days",
          "short_notice", "context_and_options", "forecast", "forecast_confirmed", "thanks", "escalations_warned",
          "escalations_unwarned", "refreshed_at"]


def _s(dt):
    return int(dt.timestamp()) if dt is not None else None


def facts_for(request_ids, now):
    """Recompute and upsert the facts of `request_ids` (any iterable); returns how many."""
    ids = sorted(set(request_ids))
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = _build(Request.objects.filter(pk__in=chunk), chunk, now)
        with transaction.atomic():
            RequestFact.objects.bulk_create(rows, update_conflicts=True, unique_fields=["request_id"],
                                            update_fields=FIELDS, batch_size=1000)
        done += len(rows)
    return done


def _build(requests, ids, now):
    thanks = Counter(Thanks.objects.filter(request_id__in=ids).values_list("request_id", flat=True))
    warned, unwarned = Counter(), Counter()
    for request_id, warning_id in Escalation.objects.filter(request_id__in=ids).values_list("request_id",
                                                                                             "warning_id"):
        (warned if warning_id else unwarned)[request_id] += 1
    with_both = ExpressionWrapper(~Q(context="") & ~Q(options=""), output_field=BooleanField())
    rows = []
    for r in (requests.annotate(with_both=with_both, lead_time=F("service__lead_time_days"))
              .values("pk", "provider_team_id", "requester_team_id", "service_id", "requester_id", "status",
                      "created_at", "submitted_at", "acknowledged_at", "declined_at", "committed_at",
                      "delivered_at", "withdrawn_at", "committed_date", "slip_count", "rework_count", "quality",
                      "open_blockers", "notice_business_days", "short_notice", "probability", "with_both",
                      "lead_time")):
        responded = [t for t in (r["acknowledged_at"], r["declined_at"]) if t is not None]
        stopped = r["declined_at"] or r["withdrawn_at"]
        delivered = r["delivered_at"] is not None
        on_time = None
        if delivered and r["committed_date"] is not None:
            on_time = r["delivered_at"].date() <= r["committed_date"]
        created = r["created_at"]
        rows.append(RequestFact(
            request_id=r["pk"], provider_team_id=r["provider_team_id"], requester_team_id=r["requester_team_id"],
            service_id=r["service_id"], requester_id=r["requester_id"], status=r["status"],
            month=created.date().replace(day=1), submitted_s=_s(r["submitted_at"]),
            acknowledged_s=_s(min(responded)) if responded else None, committed_s=_s(r["committed_at"]),
            delivered_s=_s(r["delivered_at"]), stopped_s=_s(stopped), declined=r["status"] == Status.DECLINED,
            delivered=delivered, committed=r["committed_at"] is not None, on_time=on_time,
            slips=r["slip_count"], rework=r["rework_count"], quality=r["quality"],
            open_blockers=r["open_blockers"], is_open=r["status"] in OPEN_STATUSES,
            notice_days=r["notice_business_days"], lead_time_days=r["lead_time"] or 0,
            short_notice=r["short_notice"], context_and_options=bool(r["with_both"]),
            forecast=r["probability"] is not None,
            forecast_confirmed=r["probability"] is not None and r["submitted_at"] is not None,
            thanks=thanks[r["pk"]], escalations_warned=warned[r["pk"]], escalations_unwarned=unwarned[r["pk"]],
            refreshed_at=now))
    return rows


def refresh_facts(now, limit=200_000):
    """Fold the request events above the watermark into RequestFact; returns facts written.

    Reads at most `limit` events per run (the sweep runs again a minute later), so a
    backlog never holds one transaction for long.
    """
    mark, _ = Watermark.objects.get_or_create(name=WATERMARK, defaults={"value": 0, "updated_at": now})
    events = (RequestEvent.objects.filter(pk__gt=max(0, mark.value - OVERLAP_IDS)).order_by("pk")
              .values_list("pk", "request_id")[:limit])
    events = list(events)
    if not events:
        return 0
    written = facts_for({request_id for _, request_id in events}, now)
    top = events[-1][0]
    Watermark.objects.filter(name=WATERMARK, value__lt=top).update(value=top, updated_at=now)
    return written


def rebuild_facts(now, chunk=20_000):
    """Recompute every request's facts (first install, or after a bulk load); returns the count."""
    top = RequestEvent.objects.aggregate(top=Max("pk"))["top"] or 0
    last, total = 0, 0
    while True:
        ids = list(Request.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        total += facts_for(ids, now)
        last = ids[-1]
    Watermark.objects.update_or_create(name=WATERMARK, defaults={"value": top, "updated_at": now})
    return total
