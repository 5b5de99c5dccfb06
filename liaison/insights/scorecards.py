"""Two-sided scorecards for a pair of teams, monthly series, and a team's partners by health.

A *direction* is (provider team, customer team): how the provider serves that customer
(provider side) and how that customer asks it (customer side). A pair of teams has two
directions; the pair page shows both. All figures come from SQL aggregations over
RequestFact (see models.py) — a handful of queries per direction — and every figure
carries its sample size and a 95 % interval, or says "too few" (survival.MIN_SAMPLE).

Period: requests *created* in the last `months` calendar months, this one included.
"""

import datetime as dt

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from .survival import MIN_SAMPLE, km_quantile, km_summary, mean_ci, wilson
from .trends import ewma_check, trend_line

HOUR = 3600
#: Months with fewer requests than this give no trend point (a gap in the line).
MIN_MONTH_SAMPLE = 5

TIMES = {  # measure -> (label, event column, columns that end the wait without the event)
    "ack": ("Time to acknowledge", "acknowledged_s", ["stopped_s"]),
    "commit": ("Time to commit", "committed_s", ["delivered_s", "stopped_s"]),
    "deliver": ("Time to deliver", "delivered_s", ["stopped_s"]),
}

#: Monthly measures: key -> (label, unit, +1 if higher is worse / -1 if lower is worse, side).
MONTHLY = {
    "ack": ("Median time to acknowledge", "h", +1, "provider"),
    "deliver": ("Median time to deliver", "h", +1, "provider"),
    "on_time": ("On-time rate", "%", -1, "provider"),
    "decline": ("Decline rate", "%", +1, "provider"),
    "quality": ("Quality (1-5)", "", -1, "provider"),
    "short_notice": ("Short-notice share", "%", +1, "customer"),
}


def month_start(day):
    return day.replace(day=1)


def add_months(day, n):
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def period(now, months):
    last = month_start(now.date())
    return add_months(last, -(months - 1)), last


def _aggregates():
    """Named aggregates, prefixed "a_" so they never collide with the fact columns."""
    return {f"a_{k}": v for k, v in _raw_aggregates().items()}


def _raw_aggregates():
    submitted = Q(submitted_s__isnull=False)
    delivered = Q(delivered=True)
    return {
        "all": Count("pk"),
        "submitted": Count("pk", filter=submitted),
        "responded": Count("pk", filter=Q(acknowledged_s__isnull=False)),
        "declined": Count("pk", filter=Q(declined=True)),
        "on_time_n": Count("pk", filter=Q(on_time__isnull=False)),
        "on_time_k": Count("pk", filter=Q(on_time=True)),
        "committed": Count("pk", filter=Q(committed=True)),
        "slips": Sum("slips", filter=Q(committed=True)),
        "slips_sq": Sum(F("slips") * F("slips"), filter=Q(committed=True)),
        "quality_n": Count("pk", filter=Q(quality__isnull=False)),
        "quality": Sum("quality"),
        "quality_sq": Sum(F("quality") * F("quality")),
        "delivered": Count("pk", filter=delivered | Q(rework__gt=0)),
        "reworked": Count("pk", filter=Q(rework__gt=0)),
        "open": Count("pk", filter=Q(is_open=True)),
        "blocked": Count("pk", filter=Q(is_open=True, open_blockers__gt=0)),
        "blockers": Sum("open_blockers", filter=Q(is_open=True)),
        "short": Count("pk", filter=submitted & Q(short_notice=True)),
        "notice": Sum("notice_days", filter=submitted),
        "notice_sq": Sum(F("notice_days") * F("notice_days"), filter=submitted),
        "lead_time": Sum("lead_time_days", filter=submitted),
        "with_context": Count("pk", filter=Q(context_and_options=True)),
        "forecasts": Count("pk", filter=Q(forecast=True)),
        "forecasts_resolved": Count("pk", filter=Q(forecast=True) & ~Q(status="forecast")),
        "forecasts_confirmed": Count("pk", filter=Q(forecast_confirmed=True)),
        "thanks": Sum("thanks", filter=delivered),
        "thanks_sq": Sum(F("thanks") * F("thanks"), filter=delivered),
        "thanks_delivered": Count("pk", filter=delivered),
        "esc_warned": Sum("escalations_warned"),
        "esc_unwarned": Sum("escalations_unwarned"),
    }


def _zero(row):
    return {k.removeprefix("a_"): (v or 0) for k, v in row.items()}


def _duration_bucket(measure, now_s):
    _, event, enders = TIMES[measure]
    end = Coalesce(F(event), *[F(c) for c in enders], Value(now_s))
    # whole hours, rounded up: integer arithmetic, identical on SQLite and PostgreSQL
    hours = (end - F("submitted_s") + Value(HOUR - 1)) / Value(HOUR)
    observed = Case(When(**{f"{event}__isnull": False}, then=Value(1)), default=Value(0), output_field=IntegerField())
    return hours, observed


def duration_rows(facts, measure, now, by_month=False):
    """[(hours, observed, count)] (or {month: [...]}) for one time measure, aggregated in SQL."""
    hours, observed = _duration_bucket(measure, int(now.timestamp()))
    keys = ["month", "h", "o"] if by_month else ["h", "o"]
    qs = (facts.filter(submitted_s__isnull=False).annotate(h=hours, o=observed).values(*keys)
          .annotate(n=Count("pk")).order_by())
    if not by_month:
        return [(r["h"], r["o"], r["n"]) for r in qs]
    out = {}
    for r in qs:
        out.setdefault(r["month"], []).append((r["h"], r["o"], r["n"]))
    return out


def figures_from(row, times):
    """The scorecard figures of one direction from its aggregate row and KM inputs."""
    a = _zero(row)
    esc = a["esc_warned"] + a["esc_unwarned"]
    provider = [
        km_summary(times["ack"], "Time to acknowledge") | {"key": "ack"},
        km_summary(times["commit"], "Time to commit") | {"key": "commit"},
        km_summary(times["deliver"], "Time to deliver") | {"key": "deliver"},
        wilson(a["on_time_k"], a["on_time_n"], "On time (against the committed date)") | {"key": "on_time"},
        mean_ci(a["slips"], a["slips_sq"], a["committed"], "Slips per committed request") | {"key": "slips"},
        wilson(a["declined"], a["responded"], "Decline rate") | {"key": "decline"},
        mean_ci(a["quality"], a["quality_sq"], a["quality_n"], "Quality (1-5, at acceptance)") | {"key": "quality"},
        wilson(a["reworked"], a["delivered"], "Rework rate (deliveries sent back)") | {"key": "rework"},
        wilson(a["blocked"], a["open"], "Open requests blocked", minimum=1)
        | {"key": "blocked", "extra": f"{a['blockers']} blocker{'s' if a['blockers'] != 1 else ''} open"},
    ]
    notice = mean_ci(a["notice"], a["notice_sq"], a["submitted"], "Notice given (business days)", "d")
    if notice["enough"]:
        notice["extra"] = f"published lead time averages {a['lead_time'] / a['submitted']:.1f} d"
    customer = [
        wilson(a["submitted"] - a["short"], a["submitted"], "Notice at least the lead time") | {"key": "notice_ok"},
        notice | {"key": "notice"},
        wilson(a["with_context"], a["all"], "With context and options") | {"key": "context"},
        wilson(a["forecasts"], a["all"], "Announced by a forecast first") | {"key": "forecast"},
        wilson(a["forecasts_confirmed"], a["forecasts_resolved"], "Forecasts confirmed") | {"key": "confirmed"},
        mean_ci(a["thanks"], a["thanks_sq"], a["thanks_delivered"], "Thanks per delivery") | {"key": "thanks"},
        wilson(a["esc_warned"], esc, "Escalations preceded by a warning", minimum=1)
        | {"key": "escalations", "extra": f"{a['esc_warned']} with warning, {a['esc_unwarned']} without"},
    ]
    return {"provider": provider, "customer": customer, "requests": a["all"], "open": a["open"]}


def direction_scorecard(facts, provider, customer, *, now, months=12):
    """Scorecard of one direction: figures over the period, and the monthly series."""
    start, last = period(now, months)
    qs = facts.pair(provider, customer).filter(month__gte=start, month__lte=last)
    row = qs.aggregate(**_aggregates())
    times = {m: duration_rows(qs, m, now) for m in TIMES}
    card = figures_from(row, times)
    card["provider_team"], card["customer_team"] = provider, customer
    card["monthly"] = monthly_series(qs, now, start, last)
    return card


def monthly_series(qs, now, start, last):
    """{"months": [date], key: {"values": [...], "n": [...], "trend": [...], "check": ewma verdict}}."""
    months = []
    m = start
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    rows = {r["month"]: _zero(r) for r in qs.values("month").annotate(**{k: v for k, v in _aggregates().items()
                                                                         if k[2:] in _MONTHLY_AGGS}).order_by()}
    times = {k: duration_rows(qs, k, now, by_month=True) for k in ("ack", "deliver")}
    series = {"months": months}
    for key, (label, unit, worse, side) in MONTHLY.items():
        values, ns = [], []
        for month in months:
            value, n = _monthly_value(key, rows.get(month), times.get(key, {}).get(month, []))
            values.append(value if n >= MIN_MONTH_SAMPLE else None)
            ns.append(n)
        series[key] = {"label": label, "unit": unit, "worse": worse, "side": side, "values": values, "n": ns,
                       "trend": trend_line(list(enumerate(values))), "check": ewma_check(values, worse)}
    return series


_MONTHLY_AGGS = {"submitted", "responded", "declined", "on_time_n", "on_time_k", "quality_n", "quality", "short"}


def _monthly_value(key, row, durations):
    if key in ("ack", "deliver"):
        n = sum(c for _, _, c in durations)
        if not n:
            return None, 0
        value = km_quantile([d for d, _, _ in durations], [o for _, o, _ in durations], [c for _, _, c in durations])
        return value, n
    if row is None:
        return None, 0
    if key == "on_time":
        return (100 * row["on_time_k"] / row["on_time_n"] if row["on_time_n"] else None), row["on_time_n"]
    if key == "decline":
        return (100 * row["declined"] / row["responded"] if row["responded"] else None), row["responded"]
    if key == "quality":
        return (row["quality"] / row["quality_n"] if row["quality_n"] else None), row["quality_n"]
    if key == "short_notice":
        return (100 * row["short"] / row["submitted"] if row["submitted"] else None), row["submitted"]
    raise KeyError(key)


def pair_scorecard(facts, team_a, team_b, *, now, months=12):
    """Both directions between two teams: a serving b, and b serving a."""
    return [direction_scorecard(facts, team_a, team_b, now=now, months=months),
            direction_scorecard(facts, team_b, team_a, now=now, months=months)]


# --- a team's partners, ranked by health -------------------------------------------------

#: Health components per direction (each a share in [0, 1] where 1 is healthy).
HEALTH_PARTS = ("acknowledged within a day", "on time", "not declined", "quality", "not reworked",
                "enough notice", "context and options")


def _health_aggregates(now_s):
    return {f"a_{k}": v for k, v in _raw_health_aggregates(now_s).items()}


def _raw_health_aggregates(now_s):
    day = Q(acknowledged_s__isnull=False) & Q(acknowledged_s__lte=F("submitted_s") + Value(24 * HOUR))
    return {
        "n": Count("pk"),
        "submitted": Count("pk", filter=Q(submitted_s__isnull=False)),
        # requests that have had a day to be answered: answered within it, or not
        "waited_day": Count("pk", filter=Q(submitted_s__lte=now_s - 24 * HOUR)),
        "ack_day": Count("pk", filter=day & Q(submitted_s__lte=now_s - 24 * HOUR)),
        "on_time_n": Count("pk", filter=Q(on_time__isnull=False)),
        "on_time_k": Count("pk", filter=Q(on_time=True)),
        "responded": Count("pk", filter=Q(acknowledged_s__isnull=False)),
        "declined": Count("pk", filter=Q(declined=True)),
        "quality_n": Count("pk", filter=Q(quality__isnull=False)),
        "quality": Sum("quality"),
        "delivered": Count("pk", filter=Q(delivered=True) | Q(rework__gt=0)),
        "reworked": Count("pk", filter=Q(rework__gt=0)),
        "short": Count("pk", filter=Q(submitted_s__isnull=False, short_notice=True)),
        "with_context": Count("pk", filter=Q(context_and_options=True)),
        "open": Count("pk", filter=Q(is_open=True)),
        "blocked": Count("pk", filter=Q(is_open=True, open_blockers__gt=0)),
    }


def _health(a):
    """Mean of the health parts that have at least MIN_SAMPLE requests behind them (0-100)."""
    parts = []

    def share(k, n, invert=False):
        if n >= MIN_SAMPLE:
            parts.append(1 - k / n if invert else k / n)

    share(a["ack_day"], a["waited_day"])
    share(a["on_time_k"], a["on_time_n"])
    share(a["declined"], a["responded"], invert=True)
    if a["quality_n"] >= MIN_SAMPLE:
        parts.append((a["quality"] / a["quality_n"] - 1) / 4)
    share(a["reworked"], a["delivered"], invert=True)
    share(a["short"], a["submitted"], invert=True)
    share(a["with_context"], a["n"])
    return (round(100 * sum(parts) / len(parts), 1), len(parts)) if parts else (None, 0)


def partner_ranking(facts, team, *, now, months=12):
    """The teams `team` works with, worst relationship first.

    One grouped aggregate per direction (team as provider, team as customer) over the
    period; a partner's health is the worse of its two directions' health scores (each
    the mean of the HEALTH_PARTS with enough requests). Partners with too little data in
    both directions sort last, flagged "too few".
    """
    from liaison.org.models import Team

    start, last = period(now, months)
    now_s = int(now.timestamp())
    base = facts.filter(month__gte=start, month__lte=last)
    rows = {}
    for side, mine, theirs in (("as_provider", "provider_team", "requester_team"),
                               ("as_customer", "requester_team", "provider_team")):
        qs = (base.filter(**{mine: team}).values(theirs).annotate(**_health_aggregates(now_s)).order_by())
        for r in qs:
            a = _zero(r)
            health, parts = _health(a)
            rows.setdefault(r[theirs], {})[side] = {"health": health, "parts": parts, "requests": a["n"],
                                                    "open": a["open"], "blocked": a["blocked"]}
    teams = Team.objects.in_bulk(rows.keys())
    ranking = []
    for partner_id, sides in rows.items():
        scores = [s["health"] for s in sides.values() if s["health"] is not None]
        ranking.append({"team": teams[partner_id], "health": min(scores) if scores else None,
                        "as_provider": sides.get("as_provider"), "as_customer": sides.get("as_customer"),
                        "requests": sum(s["requests"] for s in sides.values())})
    ranking.sort(key=lambda r: (r["health"] is None, r["health"] if r["health"] is not None else 0,
                                -r["requests"], r["team"].name))
    return ranking
