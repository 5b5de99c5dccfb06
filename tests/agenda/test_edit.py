"""The Edit pages of a change and an event: the API's PATCH (services.update_change /
update_event) behind a form, with the same rule on who may edit."""

import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from liaison.agenda import services as agenda
from liaison.agenda.models import Change, Conflict, ConflictEntry, Event, Reschedule

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def edit_url(item):
    return reverse(f"agenda:{item._meta.model_name}_edit", args=[item.pk])


def snapshot(item):
    """Everything stored about an item, its links to services and teams included."""
    item = type(item).objects.get(pk=item.pk)
    return {**model_to_dict(item), "updated_at": item.updated_at,
            "services": sorted(item.services.values_list("pk", flat=True)),
            "shared_with": sorted(item.shared_with.values_list("pk", flat=True))}


def form_data(client, item):
    """What the Edit page's form would send back untouched: its initial values."""
    form = client.get(edit_url(item)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, dt.datetime):
            value = value.strftime("%Y-%m-%dT%H:%M")
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    return data


@pytest.fixture
def secret_event(story):
    """A confidential event of Product Marketing, shared with nobody."""
    return agenda.create_event(team=story.marketing, title="Board preview", services=[story.crm],
                               start=at(20, 10), end=at(20, 12), by=story.marketer, now=NOW, confidential=True)


# --- editors ------------------------------------------------------------------------------------------

def test_detail_pages_link_to_edit_for_editors_only(login, story, upgrade):
    client = login(story.engineer)
    assert edit_url(upgrade) in client.get(upgrade.get_absolute_url()).content.decode()
    assert edit_url(story.event) not in client.get(story.event.get_absolute_url()).content.decode()
    client = login(story.marketer)
    assert edit_url(upgrade) not in client.get(upgrade.get_absolute_url()).content.decode()
    assert edit_url(story.event) in client.get(story.event.get_absolute_url()).content.decode()


def test_editing_a_change_rechecks_its_conflicts(login, story, upgrade):
    conflict = Conflict.objects.get(change=upgrade, event=story.event)
    client = login(story.engineer)
    page = client.get(edit_url(upgrade)).content.decode()
    assert 'value="Core network upgrade"' in page and "Reschedule" in page  # the window moves elsewhere
    data = {**form_data(client, upgrade), "title": "DNS upgrade", "services": [str(story.dns.pk)], "risk": "low",
            "rollback_plan": "Keep the old resolvers up."}
    response = client.post(edit_url(upgrade), data, follow=True)
    assert response.redirect_chain == [(upgrade.get_absolute_url(), 302)]
    assert "Change saved. 1 conflict no longer applies." in response.content.decode()
    upgrade.refresh_from_db()
    assert (upgrade.title, upgrade.risk, upgrade.rollback_plan) == ("DNS upgrade", "low", "Keep the old resolvers up.")
    assert list(upgrade.services.all()) == [story.dns]
    # DNS is nothing the webinar stands on: the conflict is withdrawn, on its timeline, and the window stays
    conflict.refresh_from_db()
    assert conflict.status == "withdrawn"
    assert conflict.entries.filter(kind=ConflictEntry.Kind.WITHDRAWN).exists()
    assert (upgrade.start, upgrade.end, upgrade.sequence) == (at(13, 8), at(13, 11), 0)
    assert not Reschedule.objects.exists()
    # and back: the collision returns, and the page says so
    data["services"] = [str(story.corp_net.pk)]
    response = client.post(edit_url(upgrade), data, follow=True)
    assert "It collides with 1 item: see below." in response.content.decode()
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_editing_an_event_moves_its_window_in_its_own_zone(login, story, upgrade):
    conflict = Conflict.objects.get(change=upgrade, event=story.event)
    client = login(story.marketer)
    data = {**form_data(client, story.event), "start": "2030-03-27T16:00", "end": "2030-03-27T19:00",
            "time_zone": "Europe/Paris", "buffer_hours": "24", "criticality": "high"}
    response = client.post(edit_url(story.event), data, follow=True)
    assert response.redirect_chain == [(story.event.get_absolute_url(), 302)]
    assert "Event saved. 1 conflict no longer applies." in response.content.decode()
    event = Event.objects.get(pk=story.event.pk)
    assert (event.start, event.end) == (at(27, 15), at(27, 18))  # 16:00 Paris = 15:00 UTC
    assert event.time_zone == "Europe/Paris" and event.criticality == "high"
    assert event.guard_start == at(26, 15) and event.sequence == 1
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution) == ("resolved", "rescheduled")
    # the page shows the window as it was planned: wall-clock time in Paris
    page = client.get(edit_url(event)).content.decode()
    assert 'value="2030-03-27T16:00"' in page


def test_an_untouched_window_does_not_move(login, story):
    """The form shows minutes; an event the API placed at 10:00:30 keeps its seconds when only the title changes."""
    event = agenda.create_event(team=story.marketing, title="Town hall", services=[story.crm],
                                start=at(20, 10) + dt.timedelta(seconds=30), end=at(20, 12), by=story.marketer,
                                now=NOW, time_zone="America/New_York")
    client = login(story.marketer)
    assert client.post(edit_url(event), {**form_data(client, event), "title": "All hands"}).status_code == 302
    event.refresh_from_db()
    assert event.title == "All hands" and event.start == at(20, 10) + dt.timedelta(seconds=30)
    assert event.sequence == 0 and event.time_zone == "America/New_York"


def test_saving_nothing_changes_nothing(login, story, upgrade):
    before = snapshot(upgrade)
    client = login(story.engineer)
    response = client.post(edit_url(upgrade), form_data(client, upgrade), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert snapshot(upgrade) == before


def test_an_org_admin_may_edit(login, story, upgrade, org_admin):
    client = login(org_admin)
    response = client.post(edit_url(story.event), {**form_data(client, story.event), "audience": "Press"})
    assert response.status_code == 302
    assert Event.objects.get(pk=story.event.pk).audience == "Press"


# --- bad input --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": "  "}, "title", "This field is required."),
    ({"services": ["999999"]}, "services", "999999"),
    ({"risk": "extreme"}, "risk", "extreme is not one of the available choices"),
])
def test_bad_change_input_names_the_field_and_changes_nothing(login, story, upgrade, changes, field, message):
    before = snapshot(upgrade)
    client = login(story.engineer)
    response = client.post(edit_url(upgrade), {**form_data(client, upgrade), "description": "new", **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html
    assert response.context["form"].errors[field] and message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in html
    assert snapshot(upgrade) == before


@pytest.mark.parametrize(("changes", "field", "message"), [
    # the service's rules, not the form's: they land on the field they name
    ({"end": "2030-03-13T14:00"}, "end", "The window must end after it starts."),
    ({"end": "2030-07-01T00:00"}, "end", "A window must be shorter than 90 days"),
    ({"start": "13/03/2030"}, "start", "Enter a date and time"),
    ({"buffer_hours": "-1"}, "buffer_hours", "greater than or equal to 0"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "not one of the available choices"),
])
def test_bad_event_input_names_the_field_and_changes_nothing(login, story, upgrade, changes, field, message):
    before, conflicts = snapshot(story.event), list(Conflict.objects.values_list("pk", "status"))
    client = login(story.marketer)
    response = client.post(edit_url(story.event), {**form_data(client, story.event), "title": "Renamed", **changes})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert "<h1>Edit the event “Meet the architect”</h1>" in response.content.decode()
    assert snapshot(story.event) == before
    assert list(Conflict.objects.values_list("pk", "status")) == conflicts


# --- who may not ----------------------------------------------------------------------------------------------

def test_outsiders_get_404(login, story, secret_event, outsider):
    secret_change = agenda.create_change(team=story.network, title="Secret router swap", services=[story.corp_net],
                                         start=at(13, 9), end=at(13, 10), by=story.engineer, now=NOW,
                                         confidential=True)
    client = login(outsider)
    for item in (secret_change, secret_event):
        before = snapshot(item)
        assert client.get(edit_url(item)).status_code == 404
        assert client.post(edit_url(item), {"title": "Mine now"}).status_code == 404
        assert snapshot(item) == before
    # someone of another team who cannot see it fares no better
    assert login(story.engineer).get(edit_url(secret_event)).status_code == 404


def test_non_editors_are_refused(login, story, upgrade):
    """Product Marketing sees the Network Group's change but may not edit it, and vice versa; like the API."""
    for person, item in ((story.marketer, upgrade), (story.engineer, story.event)):
        before = snapshot(item)
        client = login(person)
        response = client.get(edit_url(item))
        assert response.status_code == 403
        assert f"Only members of {item.team.name} may edit this {item._meta.verbose_name}." in response.content.decode()
        assert client.post(edit_url(item), {"title": "Taken over"}).status_code == 403
        assert snapshot(item) == before


def test_the_api_and_the_page_refuse_with_the_same_rule(client, story, upgrade):
    from liaison.org.services import create_token

    _token, key = create_token(story.marketer)
    response = client.patch(f"/api/v1/agenda/changes/{upgrade.pk}", {"title": "Taken over"},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "Only members of Network Group may edit this change." in response.content.decode()
    assert Change.objects.get(pk=upgrade.pk).title == "Core network upgrade"


def test_edit_pages_need_sign_in(client, story, upgrade):
    for item in (upgrade, story.event):
        response = client.get(edit_url(item))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
