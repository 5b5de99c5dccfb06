"""Triage, quarantine and webhook pages: who sees what, anonymous and outsiders, actions."""

import pytest
from django.urls import reverse

from liaison.mail.ingest import ingest
from liaison.mail.models import Disposition, InboundMessage
from liaison.notify.models import TeamWebhook
from liaison.requests.models import Request
from tests.factories import MembershipFactory, PersonFactory
from tests.mail.conftest import NOW, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def triaged(service):
    return InboundMessage.objects.get(pk=ingest(message(sender="stranger@else.example", subject="Who?"),
                                                now=NOW).message_id)


@pytest.fixture
def quarantined(service):
    return InboundMessage.objects.create(received_at=NOW, door="pipe", content_hash="x" * 64, raw=message(),
                                         disposition=Disposition.QUARANTINED, reason="Could not be processed: bug",
                                         sender="rita@corp.example", subject="Broken")


def test_anonymous_is_sent_to_sign_in(client, triaged, quarantined):
    for url in (reverse("mail:triage"), reverse("mail:triage_item", args=[triaged.pk]), reverse("mail:quarantine"),
                reverse("notify_webhooks:list")):
        assert client.get(url).status_code == 302


def test_the_service_team_sees_its_triage(login, provider, triaged, django_assert_max_num_queries):
    client = login(provider.lead)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("mail:triage"))
    assert page.status_code == 200 and "Who?" in page.text and "Unknown sender" in page.text
    item = client.get(reverse("mail:triage_item", args=[triaged.pk]))
    assert item.status_code == 200 and "stranger@else.example" in item.text


def test_an_outsider_sees_no_triage_and_no_quarantine(login, outsider, triaged, quarantined):
    client = login(outsider)
    page = client.get(reverse("mail:triage"))
    assert "Who?" not in page.text and "Nothing waits in triage" in page.text
    assert client.get(reverse("mail:triage_item", args=[triaged.pk])).status_code == 404
    assert client.post(reverse("mail:dismiss", args=[triaged.pk])).status_code == 404
    assert client.get(reverse("mail:quarantine")).status_code == 403
    assert client.post(reverse("mail:retry", args=[quarantined.pk])).status_code == 404


def test_dismiss_and_reprocess_after_the_sender_joins(login, provider, service, triaged):
    client = login(provider.lead)
    newcomer = PersonFactory(email="stranger@else.example")
    MembershipFactory(person=newcomer)
    client.post(reverse("mail:reprocess", args=[triaged.pk]))
    triaged.refresh_from_db()
    assert triaged.disposition == Disposition.REQUEST and Request.objects.get().requester == newcomer
    other = InboundMessage.objects.get(pk=ingest(message(sender="x@else.example", body="spam"), now=NOW).message_id)
    client.post(reverse("mail:dismiss", args=[other.pk]))
    other.refresh_from_db()
    assert other.disposition == Disposition.DISMISSED and other.handled_by == provider.lead


def test_org_admins_see_the_quarantine_and_retry(login, org_admin, quarantined, requester):
    client = login(org_admin)
    page = client.get(reverse("mail:quarantine"))
    assert page.status_code == 200 and "Could not be processed: bug" in page.text
    client.post(reverse("mail:retry", args=[quarantined.pk]))
    quarantined.refresh_from_db()
    assert quarantined.disposition == Disposition.REQUEST and quarantined.attempts == 2


def test_a_lead_manages_the_webhooks_of_the_team(login, provider, outsider):
    client = login(provider.lead)
    page = client.post(reverse("notify_webhooks:list"), {"team": provider.pk, "url": "not a url"})
    assert page.status_code == 400 and "full http(s) address" in page.text and not TeamWebhook.objects.exists()
    client.post(reverse("notify_webhooks:list"), {"team": provider.pk, "url": "https://hooks.example/T1"})
    hook = TeamWebhook.objects.get()
    client.post(reverse("notify_webhooks:toggle", args=[hook.pk]))
    hook.refresh_from_db()
    assert not hook.active
    other = login(outsider)
    assert other.post(reverse("notify_webhooks:delete", args=[hook.pk])).status_code == 404
    assert other.post(reverse("notify_webhooks:list"), {"team": provider.pk,
                                                        "url": "https://evil.example"}).status_code == 400
    assert TeamWebhook.objects.count() == 1
    login(provider.lead).post(reverse("notify_webhooks:delete", args=[hook.pk]))
    assert not TeamWebhook.objects.exists()
