"""Notice accounting: how much notice each service team gave for its changes.

The notice of each change is counted when it is announced (`notice_days` on Change, kept by
services.publish_change and reschedule_change); this module only reads it back, in the
database: a team's distribution and monthly trend, and the ranking of service teams. Both
are filtered by what the viewer may see (Change.objects.visible_to).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncMonth

from .models import Change


def _announced(team=None):
    qs = Change.objects.filter(notice_days__isnull=False)
    return qs.filter(team=team) if team is not None else qs


BUCKETS = [("Less than 3 days", None, 3), ("3–4 days", 3, 5), ("5–9 days", 5, 10), ("10–19 days", 10, 20),  # noqa: RUF001
           ("20 days or more", 20, None)]


def notice_history(team, viewer, now, months=24):
    """A service team's notice: distribution, monthly trend, late-notice count (in the database)."""
    minimum = settings.LIAISON_MIN_CHANGE_NOTICE_DAYS
    changes = _announced(team).filter(pk__in=Change.objects.visible_to(viewer).values("pk"))
    buckets = {}
    for n, (_label, low, high) in enumerate(BUCKETS):
        q = Q()
        if low is not None:
            q &= Q(notice_days__gte=low)
        if high is not None:
            q &= Q(notice_days__lt=high)
        buckets[f"bucket{n}"] = Count("pk", filter=q)
    summary = changes.aggregate(total=Count("pk"), late=Count("pk", filter=Q(notice_days__lt=minimum)),
                                average=Avg("notice_days"), shortest=Min("notice_days"),
                                longest=Max("notice_days"), **buckets)
    since = (now - timedelta(days=31 * months)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    trend = list(changes.filter(start__gte=since).annotate(month=TruncMonth("start")).values("month")
                 .annotate(count=Count("pk"), average=Avg("notice_days"),
                           late=Count("pk", filter=Q(notice_days__lt=minimum))).order_by("month"))
    counts = [summary[f"bucket{n}"] for n in range(len(BUCKETS))]
    peak = max(counts) or 1
    distribution = [(label, count, round(100 * count / peak)) for (label, *_), count in zip(BUCKETS, counts,
                                                                                           strict=True)]
    return {"summary": summary, "distribution": distribution, "trend": trend, "minimum": minimum}


def notice_ranking(viewer):
    """Service teams ranked by average notice given (most notice first), with late-notice counts."""
    minimum = settings.LIAISON_MIN_CHANGE_NOTICE_DAYS
    visible = Change.objects.visible_to(viewer).filter(notice_days__isnull=False)
    rows = (visible.values("team__pk", "team__name", "team__slug")
            .annotate(changes=Count("pk"), average=Avg("notice_days"),
                      late=Count("pk", filter=Q(notice_days__lt=minimum)))
            .order_by("-average", "team__name"))
    return [{**row, "late_share": round(100 * row["late"] / row["changes"]) if row["changes"] else 0}
            for row in rows]
