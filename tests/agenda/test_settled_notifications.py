# ruff: noqa: RUF001 -- the en dash and the times sign are what the reader sees
"""What changes a lead's situation tells them: a conflict rescheduled, mitigated, accepted as
a risk or withdrawn notifies both leads (not the one who did it) with what changed, each
in their own time zone (Lars in Paris, Carla in New York)."""

import pytest

from liaison.agenda import services as agenda
from liaison.agenda.models import Conflict
from liaison.notify.models import Notification
from tests.agenda.conftest import NOW, at

KIND = "agenda.conflict.settled"


def _told():
    return {n.recipient.email: n for n in Notification.objects.filter(kind=KIND).select_related("recipient")}


def test_a_reschedule_that_resolves_tells_both_leads_the_old_and_new_window(story, upgrade,
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agenda.reschedule_change(upgrade, start=at(20, 8), end=at(20, 11), by=story.engineer, now=at(2, 9),
                                 reason="Marketing asked")
    assert Conflict.objects.get(change=upgrade).resolution == "rescheduled"
    told = _told()
    assert set(told) == {"lars@corp.example", "carla@corp.example"}
    lars, carla = told["lars@corp.example"], told["carla@corp.example"]
    assert lars.subject == "Agenda conflict rescheduled: Core network upgrade × Meet the architect"
    # 08:00 UTC on 13 March is 09:00 in Paris (CET) and 04:00 in New York (EDT since 10 March).
    assert "from Wed 13 Mar 2030, 09:00 CET – Wed 13 Mar 2030, 12:00 CET to Wed 20 Mar 2030, 09:00 CET" in lars.body
    assert "from Wed 13 Mar 2030, 04:00 EDT – Wed 13 Mar 2030, 07:00 EDT to Wed 20 Mar 2030, 04:00 EDT" in carla.body
    assert lars.team_id == story.network.pk and carla.team_id == story.marketing.pk
    assert lars.link == carla.link == Conflict.objects.get(change=upgrade).get_absolute_url()


def test_mitigation_tells_the_customer_lead_the_plan(story, upgrade, django_capture_on_commit_callbacks):
    conflict = Conflict.objects.get(change=upgrade)
    with django_capture_on_commit_callbacks(execute=True):
        agenda.mitigate(conflict, by=story.engineer, now=NOW, plan="Second link stays up; rollback in 5 minutes.")
    told = _told()
    assert set(told) == {"lars@corp.example", "carla@corp.example"}
    assert "Second link stays up" in told["carla@corp.example"].body
    assert told["carla@corp.example"].subject.startswith("Agenda conflict mitigated:")


def test_accepting_the_risk_tells_the_service_lead_not_the_one_who_accepted(story, upgrade,
                                                                           django_capture_on_commit_callbacks):
    conflict = Conflict.objects.get(change=upgrade)
    with django_capture_on_commit_callbacks(execute=True):
        agenda.accept_risk(conflict, by=story.lc, now=NOW, text="We run the webinar from the backup studio.")
    told = _told()
    assert set(told) == {"lars@corp.example"}
    assert told["lars@corp.example"].subject.startswith("Agenda conflict risk accepted:")
    assert "Product Marketing accepted the risk by Carla Customer" in told["lars@corp.example"].body
    assert "Wed 13 Mar 2030, 09:00 CET" in told["lars@corp.example"].body


@pytest.mark.parametrize("how", ["withdraw", "cancel"])
def test_withdrawn_tells_both_sides(story, upgrade, how, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if how == "withdraw":
            agenda.withdraw(Conflict.objects.get(change=upgrade), by=story.marketer, now=NOW, text="Moved online.")
        else:
            agenda.cancel_change(upgrade, by=story.engineer, now=NOW)
    told = _told()
    assert set(told) == {"lars@corp.example", "carla@corp.example"}
    assert all(n.subject.startswith("Agenda conflict withdrawn:") for n in told.values())
    assert ("Moved online." if how == "withdraw" else "the change is cancelled") in told["carla@corp.example"].body


def test_nothing_settled_nothing_told(story, upgrade, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agenda.update_change(upgrade, by=story.engineer, now=NOW, risk="low")
    assert not Notification.objects.filter(kind=KIND).exists()


def test_a_settled_notice_names_only_what_each_lead_may_see(story, django_capture_on_commit_callbacks):
    """Two confidential items collide; when the change moves away, each lead is told, and the
    other team's item stays "a confidential item of another team"."""
    story.event.confidential = True
    story.event.title = "Secret acquisition briefing"
    story.event.save()
    change = agenda.create_change(
        team=story.network, title="Covert firewall swap", services=[story.corp_net], start=at(13, 8),
        end=at(13, 16), by=story.engineer, now=NOW, risk="high", confidential=True, publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        agenda.reschedule_change(change, start=at(20, 8), end=at(20, 11), by=story.engineer, now=at(2, 9))
    told = _told()
    lars, carla = told["lars@corp.example"], told["carla@corp.example"]
    assert "Covert firewall swap" in lars.subject and "Secret acquisition briefing" not in lars.subject + lars.body
    assert "a confidential item of another team" in lars.subject
    assert "Secret acquisition briefing" in carla.subject and "Covert firewall swap" not in carla.subject + carla.body
    assert "Wed 20 Mar 2030, 04:00 EDT" in carla.body  # the hidden change's times are still shown
