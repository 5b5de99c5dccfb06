"""The request coach: advice for thin context, no date, hard date without options,
demanding wording, capitals, short notice not owned. Advice never blocks."""

import datetime as dt

import pytest

from liaison.playbook.coach import Advice, coach, draft_for
from tests.factories import ServiceFactory

GOOD = {"title": "Reporting database for the client go-live",
        "context": "Our client go-live on 20 March depends on it; without it we miss the contractual cut-over.",
        "need_by": dt.date(2026, 3, 20), "date_kind": "hard", "options": "Any day that week"}


def codes(draft):
    return [a.code for a in coach(draft)]


def test_a_good_request_gets_no_advice():
    assert coach(GOOD) == []


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"context": ""}, "context_missing", "context"),
    ({"context": "Need it for the client."}, "context_thin", "context"),
    ({"need_by": None}, "date_missing", "need_by"),
    ({"options": ""}, "hard_date_no_options", "options"),
    ({"title": "Need the database ASAP"}, "demanding_wording", "title"),
    ({"context": GOOD["context"] + " Drop everything and do this."}, "demanding_wording", "context"),
    ({"title": "Database needed!!!"}, "demanding_wording", "title"),
    ({"title": "REPORTING DATABASE NEEDED NOW"}, "all_capitals", "title"),
    ({"short_notice": True}, "short_notice_not_owned", "short_notice_owned"),
])
def test_each_rule(change, code, field):
    advice = coach({**GOOD, **change})
    assert [(a.code, a.field) for a in advice] == [(code, field)]
    assert advice[0].message


def test_acronyms_are_not_shouting():
    assert codes({**GOOD, "title": "VPN access for the SAP team"}) == []


def test_flexible_dates_need_no_options():
    assert codes({**GOOD, "date_kind": "flexible", "options": ""}) == []


def test_rules_can_be_extended():
    def polite(draft):
        return None if "please" in draft["context"].lower() else Advice("no_please", "context", "Say please.")

    assert [a.code for a in coach(GOOD, rules=[polite])] == ["no_please"]


def test_draft_for_computes_short_notice(db):
    service = ServiceFactory(lead_time_days=5)
    now = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    draft = draft_for(service, {**GOOD, "need_by": dt.date(2026, 3, 4)}, now)
    assert draft["notice_business_days"] == 2 and draft["short_notice"]
    assert "short_notice_not_owned" in codes(draft)
