from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.core import sweeps
from liaison.network import dependencies, services
from liaison.network.models import Kind, Nudge
from liaison.notify.models import Notification
from tests.network.conftest import NOW, TODAY


def test_a_team_out_of_touch_with_a_team_it_depends_on_is_nudged(world):
    assert services.send_nudges(NOW) == 1
    nudge = Nudge.objects.get()
    assert (nudge.team, nudge.other_team) == (world["remote"], world["hq"])
    assert "services" in nudge.reason
    assert world["raj"] in nudge.suggested.all()  # HQ's lead is worth knowing
    recipients = set(Notification.objects.filter(kind="network.nudge").values_list("recipient__name", flat=True))
    assert recipients == {"Ana Remote", "Bo Remote"}
    assert "Raj Hq" in Notification.objects.first().body


def test_recent_contact_means_no_nudge_and_old_contact_does(world, meet):
    meet(world["bo"], [world["sue"]], TODAY - timedelta(days=59))
    assert services.send_nudges(NOW) == 0
    assert services.send_nudges(NOW + timedelta(days=2)) == 1  # now 61 days: past the 60-day cadence


def test_the_cadence_is_per_team(world, meet):
    meet(world["bo"], [world["sue"]], TODAY - timedelta(days=40))
    services.set_cadence(world["remote"], 30, by=world["ana"])
    assert services.send_nudges(NOW) == 1


def test_only_the_lead_sets_the_cadence_and_within_bounds(world):
    with pytest.raises(PermissionDenied):
        services.set_cadence(world["remote"], 30, by=world["bo"])
    with pytest.raises(ValidationError) as error:
        services.set_cadence(world["remote"], 3, by=world["ana"])
    assert "cadence_days" in error.value.message_dict


def test_never_more_than_one_per_pair_per_cadence(world):
    with time_machine.travel(NOW, tick=False):
        assert services.send_nudges(NOW) == 1
        assert services.send_nudges(NOW) == 0
        for week in range(1, 9):
            services.send_nudges(NOW + timedelta(weeks=week))
    # 8 weeks later (56 days < 60) still one; the next sweep past 60 days sends the second.
    assert Nudge.objects.count() == 1
    assert services.send_nudges(NOW + timedelta(days=61)) == 1
    assert Nudge.objects.count() == 2


def test_a_logged_interaction_clears_the_nudge(world, meet):
    services.send_nudges(NOW)
    nudge = Nudge.objects.get()
    meet(world["bo"], [world["raj"]], TODAY, now=NOW + timedelta(hours=1))
    nudge.refresh_from_db()
    assert nudge.cleared_at == NOW + timedelta(hours=1)
    assert nudge.cleared_by.author == world["bo"]
    assert Nudge.objects.visible_to(world["bo"]).open().count() == 0


def test_an_interaction_with_another_team_does_not_clear_it(world, meet):
    services.send_nudges(NOW)
    meet(world["bo"], [world["carl"]], TODAY)
    assert Nudge.objects.open().count() == 1


def test_nudges_are_seen_by_the_team_only(world, outsider):
    services.send_nudges(NOW)
    assert Nudge.objects.visible_to(world["ana"]).count() == 1
    assert Nudge.objects.visible_to(world["raj"]).count() == 0
    assert Nudge.objects.visible_to(outsider).count() == 0


def test_other_domains_plug_in_dependency_sources(world, monkeypatch):
    monkeypatch.setattr(dependencies, "_sources", dict(dependencies._sources))
    dependencies.register_dependency_source("requests")(lambda now: [(world["finance"].pk, world["hq"].pk)])
    assert services.send_nudges(NOW) == 2
    nudge = Nudge.objects.get(team=world["finance"])
    assert "requests" in nudge.reason


def test_the_sweep_is_registered_weekly(world):
    job = sweeps.registered()["network.nudges"]
    assert job.every == 7 * 24 * 3600
    assert job(NOW) == 1


def test_recorded_delivery_counts_as_contact(world):
    services.record_interaction_from(Kind.DELIVERY, [world["raj"], world["ana"]], NOW - timedelta(days=3),
                                     "requests.delivered:1")
    assert services.send_nudges(NOW) == 0
