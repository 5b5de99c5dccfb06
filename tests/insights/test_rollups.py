"""RequestFact follows the requests: the sweep folds in new events and stays correct when
a request changes (reopened, declined, thanked, escalated), and is idempotent."""

import datetime as dt

import pytest

from liaison.core.sweeps import registered
from liaison.insights.models import RequestFact, Watermark
from liaison.insights.rollups import rebuild_facts, refresh_facts
from liaison.requests import services

from .conftest import NOW

H = dt.timedelta(hours=1)


def _submit(pair, now=NOW, **extra):
    fields = dict(requester=pair.ben, service=pair.service, title="Monthly ledger extract",
                  context="The close needs it.", need_by=(now + dt.timedelta(days=21)).date(), date_kind="hard",
                  options="Any day that week", now=now)
    fields.update(extra)
    return services.submit_request(**fields)


def test_sweep_is_registered():
    assert {"insights.facts", "insights.alerts"} <= set(registered())


def test_lifecycle_is_folded_in_and_follows_changes(pair):
    request = _submit(pair)
    assert refresh_facts(NOW) == 1
    fact = RequestFact.objects.get(pk=request.pk)
    assert fact.is_open and fact.acknowledged_s is None and fact.submitted_s == int(NOW.timestamp())
    assert (fact.provider_team, fact.requester_team, fact.month) == (pair.ops, pair.billing, dt.date(2026, 6, 1))
    assert fact.context_and_options and fact.lead_time_days == 5

    services.acknowledge(request, by=pair.omar, now=NOW + 2 * H)
    services.commit_to_date(request, by=pair.omar, date=(NOW + dt.timedelta(days=10)).date(), now=NOW + 3 * H)
    services.deliver(request, by=pair.omar, now=NOW + 48 * H)
    refresh_facts(NOW + 49 * H)
    fact.refresh_from_db()
    assert fact.acknowledged_s - fact.submitted_s == 2 * 3600
    assert fact.delivered and fact.on_time and fact.committed and not fact.is_open

    services.reopen(request, by=pair.ben, missing="The totals are missing.", now=NOW + 50 * H)
    refresh_facts(NOW + 51 * H)
    fact.refresh_from_db()
    assert not fact.delivered and fact.delivered_s is None and fact.rework == 1 and fact.is_open

    services.deliver(request, by=pair.omar, now=NOW + 60 * H)
    services.accept(request, by=pair.ben, quality=4, now=NOW + 61 * H)
    services.thank(request, by=pair.ben, message="Saved our close.", now=NOW + 62 * H)
    refresh_facts(NOW + 63 * H)
    fact.refresh_from_db()
    assert (fact.delivered, fact.quality, fact.thanks, fact.rework, fact.status) == (True, 4, 1, 1, "accepted")


def test_decline_and_escalations(pair):
    declined = _submit(pair)
    services.decline(declined, by=pair.omar, reason="Not ours: ask Finance IT.", now=NOW + 5 * H)
    waiting = _submit(pair, title="Second extract")
    services.escalate(waiting, by=pair.ben, now=NOW + 6 * H, emergency_override=True,
                      justification="The regulator's deadline is tomorrow.")
    refresh_facts(NOW + 7 * H)
    d, w = RequestFact.objects.get(pk=declined.pk), RequestFact.objects.get(pk=waiting.pk)
    assert d.declined and d.acknowledged_s - d.submitted_s == 5 * 3600 and d.stopped_s == d.acknowledged_s
    assert (w.escalations_warned, w.escalations_unwarned) == (0, 1)


def test_refresh_is_idempotent_and_moves_the_watermark(pair):
    _submit(pair)
    refresh_facts(NOW)
    mark = Watermark.objects.get().value
    before = list(RequestFact.objects.values())
    refresh_facts(NOW)  # the overlap re-reads the same events: same rows
    assert Watermark.objects.get().value == mark
    assert [{**r, "refreshed_at": None} for r in RequestFact.objects.values()] == [
        {**r, "refreshed_at": None} for r in before]


@pytest.mark.django_db
def test_rebuild_covers_requests_written_without_events(pair):
    from .conftest import bulk_requests

    bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing,
                  created=[NOW - dt.timedelta(days=i) for i in range(30)], ack_hours=3)
    assert rebuild_facts(NOW) == 30
    assert RequestFact.objects.filter(acknowledged_s__isnull=False).count() == 30
