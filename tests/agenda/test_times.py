# ruff: noqa: RUF001 -- the en dash is what the reader sees
"""The agenda's pages in the viewer's time zone (liaison.core.times), and its reschedule form
defaulting to that zone."""

from liaison.agenda.models import Conflict
from tests.agenda.conftest import at


def test_pages_follow_the_viewer_not_the_server(login, story, upgrade):
    """Carla (New York) and Lars (Paris) read the same conflict, each in their own zone, and
    the explanation no longer mixes UTC with the local times around it."""
    conflict = Conflict.objects.get(change=upgrade)
    carla = login(story.lc).get(conflict.get_absolute_url()).content.decode()
    assert "UTC" not in carla.split('<p class="reason">')[1].split("</p>")[0]
    assert "Wed 13 Mar 2030, 04:00 EDT – Wed 13 Mar 2030, 07:00 EDT" in carla  # the change window, in the buffer
    lars = login(story.ls).get(conflict.get_absolute_url()).content.decode()
    assert "Wed 13 Mar 2030, 09:00 CET – Wed 13 Mar 2030, 12:00 CET" in lars


def test_the_reschedule_form_defaults_to_the_viewers_zone_and_the_current_window(login, story, upgrade):
    body = login(story.engineer).get(upgrade.get_absolute_url()).content.decode()  # Nico: UTC
    assert 'value="2030-03-13T08:00"' in body
    story.engineer.time_zone = "Europe/Paris"
    story.engineer.save()
    body = login(story.engineer).get(upgrade.get_absolute_url()).content.decode()
    assert 'name="start" value="2030-03-13T09:00"' in body and 'name="end" value="2030-03-13T12:00"' in body
    assert '<option value="Europe/Paris" selected>' in body
    # What the form sends back is read in that zone: the same window, so "already has" it.
    response = login(story.engineer).post(f"/agenda/changes/{upgrade.pk}/reschedule/", {
        "start": "2030-03-13T10:00", "end": "2030-03-13T12:00", "time_zone": "Europe/Paris", "reason": "r"})
    assert response.status_code == 302
    upgrade.refresh_from_db()
    assert upgrade.start == at(13, 9)
