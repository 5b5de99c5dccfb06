"""Deterioration alerts: once a month, every direction of every pair with enough recent
requests is put through the EWMA chart (trends.ewma_check) on each monthly measure; a
measure whose last completed month crossed its control limit on the bad side becomes a
DeteriorationAlert and a notification to both team leads.

Idempotent: one alert per (provider, customer, measure, month) — a unique constraint —
and the notification's dedupe key is the same tuple, so the daily sweep can run twice.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count

from liaison.notify.services import notify

from .models import DeteriorationAlert, RequestFact
from .scorecards import MIN_MONTH_SAMPLE, MONTHLY, add_months, month_start, monthly_series

HISTORY_MONTHS = 24


def _fmt(value, unit):
    return f"{value:.1f}{' ' + unit if unit and unit != '%' else unit}"


def check_alerts(now, facts=None):
    """Raise the alerts of the last completed month; returns the new DeteriorationAlerts."""
    facts = facts if facts is not None else RequestFact.objects.all()
    month = add_months(month_start(now.date()), -1)
    start = add_months(month, -(HISTORY_MONTHS - 1))
    active = (facts.filter(month=month).values("provider_team", "requester_team").annotate(n=Count("pk"))
              .filter(n__gte=MIN_MONTH_SAMPLE).order_by())
    created = []
    for pair in active:
        qs = facts.filter(provider_team_id=pair["provider_team"], requester_team_id=pair["requester_team"],
                          month__gte=start, month__lte=month)
        series = monthly_series(qs, now, start, month)
        for key, (label, unit, _worse, _side) in MONTHLY.items():
            check = series[key]["check"]
            if check and check["alarm"]:
                alert = _raise(pair["provider_team"], pair["requester_team"], key, month, check, now)
                if alert is not None:
                    created.append(alert)
                    _tell(alert, label, unit, now)
    return created


def _raise(provider_id, customer_id, key, month, check, now):
    try:
        with transaction.atomic():
            return DeteriorationAlert.objects.create(
                provider_team_id=provider_id, requester_team_id=customer_id, measure=key, month=month,
                value=check["z"], limit=check["limit"], baseline=check["centre"], created_at=now)
    except IntegrityError:
        return None  # raised by an earlier run


def _tell(alert, label, unit, now):
    provider, customer = alert.provider_team, alert.requester_team
    leads = [t.lead_id for t in (provider, customer) if t.lead_id]
    if not leads:
        return
    link = f"/insights/pairs/{provider.slug}/{customer.slug}/"
    notify(leads, kind="insights.deterioration", now=now, link=link,
           dedupe_key=f"insights.alert:{provider.pk}:{customer.pk}:{alert.measure}:{alert.month:%Y-%m}",
           subject=f"{label} moved beyond its history: {provider.name} → {customer.name} ({alert.month:%B %Y})",
           body=(f"{label} for requests from {customer.name} to {provider.name} in {alert.month:%B %Y}: "
                 f"the monthly trend (EWMA) reached {_fmt(alert.value, unit)}, past its control limit of "
                 f"{_fmt(alert.limit, unit)}; its history averaged {_fmt(alert.baseline, unit)}.\n"
                 "Both leads get this note. A conversation now is cheaper than an escalation later."))
