"""The playbook on the pages and in the mail: "What you can do" on a request and a
conflict; Escalate and "Say thank you" only when they can succeed; booking a call mails
an iCalendar invitation through the outbox (a real SMTP server); mails about a heated
thread carry the same suggestion; org admins edit the rules, preview them and see which
moves work."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending
from liaison.playbook.models import Invitation, Rule, Suggestion
from liaison.requests import services
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def page(client, person, url):
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_request_page_ranks_the_moves_for_the_provider(client, world):
    html = page(client, world.lars, world.hard.get_absolute_url())
    assert "A short-notice request" in html
    assert html.index("Acknowledge it now") < html.index("Commit to a date, or offer options") < html.index(
        "Book a call")
    assert f'href="/requests/{world.hard.pk}/?do=acknowledge#act-acknowledge"' in html


def test_escalate_before_a_warning_says_why_and_offers_the_warning_never_an_error_page(client, world):
    now = timezone.now()
    req = world.overdue  # two days overdue, Mia's
    html = page(client, world.mia, req.get_absolute_url())
    assert "Escalating needs a warning first" in html
    assert f'href="{req.get_absolute_url()}?do=warn#act-warn"' in html
    assert ">Escalate</summary>" not in html  # the plain escalation is not offered: it could only be refused
    assert "Escalate now (emergency)" in html
    warning = services.warn_before_escalating(req, by=world.mia, now=now)
    html = page(client, world.mia, req.get_absolute_url())
    assert "escalation opens on" in html and ">Escalate</summary>" not in html
    services.EscalationWarning.objects.filter(pk=warning.pk).update(deadline=timezone.localdate(now) - dt.timedelta(1))
    html = page(client, world.mia, req.get_absolute_url())
    assert ">Escalate</summary>" in html and "Escalate now (emergency)" not in html
    response = client.post(reverse("requests:act", args=[req.pk, "escalate"]), {"escalate-message": "Please help."})
    assert response.status_code == 302


def test_an_emergency_escalation_needs_its_reason(client, world):
    client.force_login(world.mia)
    url = reverse("requests:act", args=[world.overdue.pk, "emergency"])
    response = client.post(url, {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert client.post(url, {"emergency-justification": "The shoot is tomorrow."}).status_code == 302
    assert world.overdue.escalations.get().emergency_override


def test_say_thank_you_is_no_longer_offered_after_thanks_were_sent(client, world):
    html = page(client, world.mia, world.accepted.get_absolute_url())
    assert "Say thank you" in html and "Write the thanks" in html
    services.thank(world.accepted, by=world.mia, message="Thank you!", now=timezone.now())
    html = page(client, world.mia, world.accepted.get_absolute_url())
    assert "Say thank you" not in html and "Write the thanks" not in html


def test_the_conflict_page_shows_each_side_its_moves(client, world):
    url = world.conflict.get_absolute_url()
    carla = page(client, world.carla, url)
    assert carla.index("Ask for a delay") < carla.index("Book a call") < carla.index("Invite the other affected")
    lars = page(client, world.lars, url)
    assert "Propose a reschedule (scheduling assistant)" in lars and "Ask for a delay</a>" not in lars
    mia = page(client, world.mia, url)
    assert "Only the customer team&#x27;s lead may accept the risk: ask Carla Customer." in mia


def test_book_a_call_mails_an_icalendar_invitation(client, world, smtp_server):
    page(client, world.carla, world.conflict.get_absolute_url())  # the move is shown (and recorded)
    url = reverse("playbook:invite") + f"?about={world.conflict.get_absolute_url()}&purpose=call"
    html = client.get(url).content.decode()
    assert "Lars Service" in html and "Call: " in html
    start = (timezone.localtime() + dt.timedelta(days=1)).replace(hour=10, minute=0)
    response = client.post(reverse("playbook:invite"), {
        "about": world.conflict.get_absolute_url(), "purpose": "call", "title": "Call: the upgrade and our webinar",
        "start": start.strftime("%Y-%m-%dT%H:%M"), "minutes": "30", "attendees": [world.lars.pk],
        "agenda": "Can the upgrade move a week?"})
    assert response.status_code == 302 and response["Location"] == world.conflict.get_absolute_url()
    invitation = Invitation.objects.get()
    assert list(invitation.attendees.all()) == [world.lars]
    deliver_pending(timezone.now() + dt.timedelta(seconds=1))
    mails = [m for m in smtp_server.messages if m["X-Liaison-Kind"] == "playbook.invitation"]
    assert sorted(m["To"] for m in mails) == ["carla@corp.example", "lars@corp.example"]
    ics = next(part for part in mails[0].walk() if part.get_content_type() == "text/calendar")
    text = ics.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in text and f"UID:{invitation.uid}@" in text
    assert "mailto:lars@corp.example" in text and "SUMMARY:Call: the upgrade and our webinar" in text
    # the suggestion is recorded as taken by the outcomes sweep
    from liaison.playbook.outcomes import judge

    judge(timezone.now())
    assert Suggestion.objects.get(person=world.carla, move="book_call").taken_at is not None


def test_an_invitation_refuses_bad_input_naming_the_field(client, world):
    client.force_login(world.carla)
    response = client.post(reverse("playbook:invite"), {
        "about": world.conflict.get_absolute_url(), "title": "", "start": "yesterday", "minutes": "30"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Enter a date and time." in html
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("playbook:invite"), {
        "about": world.conflict.get_absolute_url(), "title": "Call", "start": past, "minutes": "30",
        "attendees": [world.lars.pk]})
    assert response.status_code == 400 and "Choose a time in the future." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_outsider_cannot_book_a_call_about_what_they_cannot_see(client, world):
    client.force_login(PersonFactory())
    assert client.get(reverse("playbook:invite") + f"?about={world.hard.get_absolute_url()}").status_code == 404
    assert client.get(reverse("playbook:business_case") + f"?about={world.hard.get_absolute_url()}").status_code == 404


def test_the_business_case_draft_carries_the_numbers(client, world):
    html = page(client, world.carla, reverse("playbook:business_case") + f"?about={world.conflict.get_absolute_url()}")
    assert "100+ customer organisations" in html and "Severity: critical" in html


def test_the_mails_of_a_heated_thread_suggest_a_call(world, smtp_server):
    now = timezone.now()
    services.comment(world.hard, by=world.carla, text="This is ridiculous. You people are useless and incompetent.",
                     now=now)
    deliver_pending(now + dt.timedelta(seconds=1))
    mail = next(m for m in smtp_server.messages if m["X-Liaison-Kind"] == "request.comment")
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "What you can do:" in body and "- Book a call: Email is not your friend here" in body
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "/playbook/invite/?about=%2Frequests%2F" in html


def test_a_mail_about_something_with_no_situation_carries_no_advice(world, smtp_server):
    now = timezone.now()
    services.thank(world.accepted, by=world.mia, message="Thank you!", now=now)
    Notification.objects.all().delete()
    services.comment(world.accepted, by=world.nico, text="Glad it worked.", now=now)
    deliver_pending(now + dt.timedelta(seconds=1))
    mail = next(m for m in smtp_server.messages if m["X-Liaison-Kind"] == "request.comment")
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert body.startswith("Glad it worked.") and "What you can do" not in body


def test_org_admins_edit_the_rules_and_see_which_moves_work(client, world, org_admin):
    admin = org_admin
    client.force_login(world.carla)
    assert client.get(reverse("playbook:rules")).status_code == 403
    page(client, world.lars, world.hard.get_absolute_url())  # shows (and records) the moves
    services.acknowledge(world.hard, by=world.lars, now=timezone.now())
    from liaison.playbook.outcomes import judge

    judge(timezone.now())
    html = page(client, admin, reverse("playbook:rules"))
    assert "A short-notice request" in html and "Acknowledge it now" in html
    rule = Rule.objects.get(situation="short_notice", move="acknowledge", side="serving")
    row = html[html.index(f'href="/playbook/rules/{rule.pk}/"') - 400:html.index(f'href="/playbook/rules/{rule.pk}/"')]
    assert '<td class="num">1</td><td class="num">1</td>' in row  # shown once, taken once
    response = client.post(reverse("playbook:rule_edit", args=[rule.pk]), {
        "situation": "short_notice", "move": "acknowledge", "side": "serving", "rank": "9",
        "reason": "Answer first.", "enabled": ""})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.rank, rule.enabled, rule.updated_by) == (9, False, admin)
    response = client.post(reverse("playbook:rule_edit", args=[rule.pk]), {"situation": "nope", "move": "x"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    preview = page(client, admin, reverse("playbook:preview") + "?situation=conflict")
    assert "Carla Customer" in preview and "Lars Service" in preview and "Ask for a delay" in preview
