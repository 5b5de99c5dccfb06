import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.network import services
from liaison.network.models import HomeworkPlan
from tests.network.conftest import NOW


def test_the_four_steps_in_order(world):
    plan = services.start_homework(world["bo"], colleague="sue@corp.example", goal="How HQ plans", now=NOW)
    assert plan.steps_done == 1 and plan.next_step["key"] == "reached_out"
    with pytest.raises(ValidationError) as error:
        services.advance_homework(plan, by=world["bo"], step="reported", note="x", now=NOW)
    assert "Reach out" in error.value.message_dict["step"][0]
    services.advance_homework(plan, by=world["bo"], step="reached_out", now=NOW)
    services.advance_homework(plan, by=world["bo"], step="added_value", note="Shared our runbook", now=NOW)
    with pytest.raises(ValidationError) as error:
        services.advance_homework(plan, by=world["bo"], step="reported", note="", now=NOW)
    assert "note" in error.value.message_dict
    services.advance_homework(plan, by=world["bo"], step="reported", note="Sue now calls us first", now=NOW)
    plan.refresh_from_db()
    assert plan.steps_done == 4 and plan.next_step is None


@pytest.mark.parametrize("colleague, message", [("bo@corp.example", "yourself"), ("ana@corp.example", "own team"),
                                                ("ghost@corp.example", "ghost"), ("", "Pick a colleague")])
def test_pick_someone_real_in_another_team(world, colleague, message):
    with pytest.raises(ValidationError) as error:
        services.start_homework(world["bo"], colleague=colleague, now=NOW)
    assert message in error.value.message_dict["colleague"][0]
    assert not HomeworkPlan.objects.exists()


def test_the_lead_sees_the_teams_progress_and_nobody_else(world, outsider):
    plan = services.start_homework(world["bo"], colleague=world["sue"], now=NOW)
    rows = services.team_homework(world["remote"], world["ana"])
    assert {r["person"].name: [p.pk for p in r["plans"]] for r in rows} == {"Ana Remote": [], "Bo Remote": [plan.pk]}
    assert list(HomeworkPlan.objects.visible_to(world["ana"])) == [plan]
    for someone in (world["bo"], world["raj"], outsider):
        with pytest.raises(PermissionDenied):
            services.team_homework(world["remote"], someone)
    assert not HomeworkPlan.objects.visible_to(world["raj"]).exists()
    with pytest.raises(PermissionDenied):
        services.advance_homework(plan, by=world["ana"], step="reached_out", now=NOW)
