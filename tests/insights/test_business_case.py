"""The business case: recorded numbers only, what they do not show, as a page, a PDF (read back) and a CSV."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from liaison.incidents.models import Unit
from liaison.insights.business_case import business_case, csv_rows

from .incident_cast import NOW, build_cast, change, impact, incident, seed_002

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def story(cast):
    for i, days in enumerate([2, 3, 12, 1, 15, 4]):
        change(cast.network, start=NOW - (20 + 30 * i) * DAY, notice_days=days)
    late = change(cast.facilities, start=NOW - 60 * DAY, notice_days=1)
    incident(service_team=cast.facilities, affected=[cast.finance], opened_at=NOW - 60 * DAY, opener=cast.fiona,
             changes=[late])
    return seed_002(cast)


def test_figures_per_unit_and_per_team_from_the_impacts(cast, story):
    case = business_case(story.incident, cast.paula, NOW)
    totals = {(u["unit"], u["unit_label"]): (u["total"], u["entries"], u["teams"]) for u in case["per_unit"]}
    assert totals == {(Unit.LABOUR_HOURS, ""): (48.5, 3, 2), (Unit.CUSTOMERS_AFFECTED, ""): (104, 1, 1),
                      (Unit.DELAY_DAYS, ""): (2, 1, 1), (Unit.MONEY, "EUR"): (1500, 1, 1)}
    rows = {r["team"]: r for r in case["team_rows"]}
    hours = case["units"].index((Unit.LABOUR_HOURS, ""))
    assert rows[cast.marketing]["cells"][hours]["total"] == 42.5
    assert rows[cast.marketing]["cells"][hours]["entries"] == 2
    assert rows[cast.finance]["cells"][hours]["total"] == 6
    assert not rows[cast.other]["reported"]
    assert case["entries"] == 6
    # the pattern: the linked change's notice, Network's history, Facilities with the same pattern
    assert [c.notice_days for c in case["changes"]] == [3]
    assert case["history"]["history"]["summary"]["total"] == 7
    assert [r["team"] for r in case["pattern"]["teams"]] == []  # Paula may not see Facilities' incident
    assert [r["team"] for r in business_case(story.incident, cast.fiona, NOW)["pattern"]["teams"]] == [
        cast.facilities]
    assert case["allied"] == [cast.finance, cast.marketing]
    assert [a.ask_text for a in case["alliances"]] == ["Ten business days' notice for core network changes."]


def test_it_says_what_the_numbers_do_not_show(cast, story):
    impact(story.incident, cast.finance, Unit.MONEY, 300, by=cast.fiona, label="GBP")
    caveats = " ".join(business_case(story.incident, cast.paula, NOW)["caveats"])
    assert "1 affected team logged no impact: Other" in caveats
    assert "Customers (external organisations) affected: 1 entry from 1 team — a small sample" in caveats
    assert "Money was logged in 2 currencies (EUR, GBP)" in caveats
    assert "limited to the incidents and changes you may see" in caveats


def test_a_confidential_linked_change_stays_confidential(cast, story):
    secret = change(cast.network, start=NOW - 3 * DAY, notice_days=0, confidential=True, title="Secret firewall")
    story.incident.changes.add(secret)
    paula = business_case(story.incident, cast.paula, NOW)
    assert [c.title for c in paula["changes"]] == ["Core network upgrade"] and paula["hidden_changes"] == 1
    assert any("1 linked change is confidential" in c for c in paula["caveats"])
    nate = business_case(story.incident, cast.nate, NOW)
    assert {c.title for c in nate["changes"]} == {"Core network upgrade", "Secret firewall"}


def test_csv_rows_carry_the_figures_with_their_sample_sizes(cast, story):
    rows = list(csv_rows(business_case(story.incident, cast.paula, NOW)))
    assert ["impact total", "Webinar lost its network", "all teams", "Hours of labour", "48.5", 3,
            "2 teams reporting"] in rows
    assert ["impact by team", "Webinar lost its network", "Other", "", "", 0, "logged no impact"] in rows
    assert any(r[0] == "notice history" and r[1] == "short notice" and r[4] == 5 and r[5] == 7 for r in rows)
    assert any(r[0] == "not shown by the numbers" and "Other" in r[1] for r in rows)


def _get(client, person, url):
    client.force_login(person)
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def test_page_pdf_and_csv(client, cast, story):
    pk = story.incident.pk
    page = _get(client, cast.paula, f"/insights/incidents/{pk}/business-case/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Business case: Webinar lost its network" in html and "<svg" in html and "<script" not in html.split(
        "<main")[1]
    assert 'aria-labelledby="chart' in html and "<desc" in html

    pdf = _get(client, cast.paula, f"/insights/incidents/{pk}/business-case.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("Business case: Webinar lost its network", "48.5", "104", "Product Marketing", "Finance",
                     "What the numbers do not show", "logged no impact: Other",
                     "Ten business days' notice for core network changes."):
        assert expected in text, expected

    response = _get(client, cast.paula, f"/insights/incidents/{pk}/business-case.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "subject", "team", "unit", "value", "sample_size", "note"]
    assert ["impact total", "Webinar lost its network", "all teams", "Hours of labour", "48.5", "3",
            "2 teams reporting"] in rows


@pytest.mark.parametrize("suffix", ["business-case/", "business-case.pdf", "business-case.csv"])
def test_an_outsider_gets_404_on_every_door(client, cast, story, suffix):
    assert _get(client, cast.fred, f"/insights/incidents/{story.incident.pk}/{suffix}").status_code == 404
    client.logout()
    with time_machine.travel(NOW, tick=False):
        anonymous = client.get(f"/insights/incidents/{story.incident.pk}/{suffix}")
    assert anonymous.status_code == 302
