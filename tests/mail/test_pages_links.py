"""The ways into triage and quarantine: a team's slice of triage (?team=), the team-page
link "Mail triage" and the nav link "Quarantine", each shown by the rule its page applies."""

import pytest
from django.test import override_settings
from django.urls import reverse

from liaison.mail.ingest import ingest
from liaison.mail.models import Disposition, InboundMessage
from liaison.mail.services import may_see_quarantine, may_triage
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory
from tests.mail.conftest import NOW, message

pytestmark = pytest.mark.django_db

TRIAGE = "/mail/triage/"
QUARANTINE = "/mail/quarantine/"


def _triage(subject, sender="stranger@else.example", to="databases@liaison.example"):
    return InboundMessage.objects.get(pk=ingest(message(sender=sender, to=to, subject=subject), now=NOW).message_id)


@pytest.fixture
def other_team():
    team = TeamFactory(name="Payments", slug="payments")
    ServiceFactory(team=team, name="Ledger", slug="ledger")
    return team


@pytest.fixture
def mail(service, other_team):
    return {"ours": _triage("For databases"), "theirs": _triage("For the ledger", to="ledger@liaison.example"),
            "nobody": _triage("For nobody", to="nobody@liaison.example")}


def test_the_team_slice_shows_only_that_teams_mail(login, provider, other_team, mail,
                                                   django_assert_max_num_queries):
    both = PersonFactory(email="both@corp.example")
    MembershipFactory(person=both, team=provider)
    MembershipFactory(person=both, team=other_team)
    client = login(both)
    everything = client.get(TRIAGE).text
    assert "For databases" in everything and "For the ledger" in everything and "For nobody" not in everything
    with django_assert_max_num_queries(10):
        page = client.get(TRIAGE, {"team": "platform"})
    assert page.status_code == 200
    assert "For databases" in page.text and "For the ledger" not in page.text
    assert "Platform" in page.text and f'href="{TRIAGE}"' in page.text  # the way back to all teams


def test_the_team_slice_refuses_outsiders_and_unknown_teams(client, login, outsider, provider, mail):
    assert client.get(TRIAGE, {"team": "platform"}).status_code == 302  # anonymous: sign in first
    page = login(outsider).get(TRIAGE, {"team": "platform"})
    assert page.status_code == 403 and "For databases" not in page.text
    assert login(provider.lead).get(TRIAGE, {"team": "no-such-team"}).status_code == 404


def test_a_member_may_not_read_another_teams_slice(login, provider, other_team, mail):
    page = login(provider.lead).get(TRIAGE, {"team": "payments"})
    assert page.status_code == 403 and "For the ledger" not in page.text


def test_org_admins_read_any_slice_and_the_unmatched_mail(login, org_admin, provider, mail):
    client = login(org_admin)
    assert "For databases" in client.get(TRIAGE, {"team": "platform"}).text
    everything = client.get(TRIAGE).text
    assert "For nobody" in everything and f'href="{QUARANTINE}"' in everything


@override_settings(LIAISON_PAGE_SIZE=2)
def test_pages_of_a_slice_keep_the_team(login, provider, service):
    for n in range(3):
        _triage(f"Message {n}", sender=f"s{n}@else.example")
    page = login(provider.lead).get(TRIAGE, {"team": "platform"})
    assert "?team=platform&amp;page=2" in page.text
    assert "Message 0" in login(provider.lead).get(TRIAGE, {"team": "platform", "page": 2}).text


def test_the_item_page_leads_back_to_the_teams_slice(login, provider, mail):
    page = login(provider.lead).get(reverse("mail:triage_item", args=[mail["ours"].pk]))
    assert page.status_code == 200 and f'href="{TRIAGE}?team=platform"' in page.text
    assert '<nav class="breadcrumb" aria-label="Breadcrumb">' in page.text


def test_the_team_page_links_to_the_slice_for_members_and_admins_only(login, provider, outsider, org_admin, service):
    link = f'href="{TRIAGE}?team=platform"'
    team_page = reverse("team", args=["platform"])
    assert link in login(provider.lead).get(team_page).text
    assert link in login(org_admin).get(team_page).text
    outsider_page = login(outsider).get(team_page)
    assert outsider_page.status_code == 200 and link not in outsider_page.text


def test_the_link_and_the_page_share_one_rule(provider, outsider, org_admin):
    assert may_triage(provider.lead, provider) and may_triage(org_admin, provider)
    assert not may_triage(outsider, provider)
    provider.lead.is_active = False
    assert not may_triage(provider.lead, provider)
    from django.contrib.auth.models import AnonymousUser
    assert not may_triage(AnonymousUser(), provider) and not may_see_quarantine(AnonymousUser())
    assert may_see_quarantine(org_admin) and not may_see_quarantine(outsider)


def test_only_org_admins_have_quarantine_in_the_nav(login, org_admin, provider):
    link = f'<a href="{QUARANTINE}"'
    assert link in login(org_admin).get("/").text
    assert link not in login(provider.lead).get("/").text
    page = login(org_admin).get(QUARANTINE)
    assert f'<a href="{QUARANTINE}" aria-current="page">Quarantine</a>' in page.text


def test_the_quarantine_page_lists_with_an_accessible_retry(login, org_admin, service):
    row = InboundMessage.objects.create(received_at=NOW, door="pipe", content_hash="q" * 64, raw=message(),
                                        disposition=Disposition.QUARANTINED, reason="Could not be processed: bug",
                                        sender="rita@corp.example", subject="Broken")
    page = login(org_admin).get(QUARANTINE)
    assert f'Retry<span class="visually-hidden"> message {row.pk}</span>' in page.text
    assert f'href="{TRIAGE}"' in page.text
