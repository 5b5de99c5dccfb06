from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from liaison.network import services
from liaison.network.models import HALF_LIFE_DAYS, KIND_WEIGHTS, Interaction, Kind, Tie
from tests.network.conftest import NOW, TODAY


def counts():
    return Interaction.objects.count(), Tie.objects.count()


def test_logging_an_interaction_creates_ties_with_each_participant(world, meet):
    interaction = meet(world["ana"], [world["raj"], world["sue"]], TODAY - timedelta(days=3), note="Talked about Q3")
    assert set(interaction.participants.all()) == {world["raj"], world["sue"]}
    tie = services.tie_between(world["ana"].pk, world["raj"].pk)
    assert tie.interactions == 1 and tie.last_on == TODAY - timedelta(days=3)
    assert services.tie_between(world["raj"].pk, world["sue"].pk) is None  # only the author's ties


@pytest.mark.parametrize("field, kwargs, message", [
    ("occurred_on", {"occurred_on": TODAY + timedelta(days=1)}, "in the future"),
    ("participants", {"participants": ["ana@corp.example"]}, "only yourself"),
    ("participants", {"participants": ["nobody@corp.example"]}, "nobody@corp.example"),
    ("participants", {"participants": ["bo@corp.example"]}, "own team"),
    ("kind", {"kind": "seance"}, "Unknown kind"),
])
def test_bad_input_names_the_field_and_changes_nothing(world, field, kwargs, message):
    before = counts()
    args = {"kind": Kind.ONE_ON_ONE, "occurred_on": TODAY, "participants": ["raj@corp.example"], **kwargs}
    with pytest.raises(ValidationError) as error:
        services.log_interaction(world["ana"], now=NOW, **args)
    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    assert counts() == before


def test_strength_decays_with_a_half_life_and_weighs_kinds(world, meet):
    day = TODAY - timedelta(days=HALF_LIFE_DAYS)
    meet(world["ana"], [world["raj"]], day, kind=Kind.VISIT)
    tie = services.tie_between(world["ana"].pk, world["raj"].pk)
    assert tie.strength(day) == pytest.approx(KIND_WEIGHTS[Kind.VISIT])
    assert tie.strength(TODAY) == pytest.approx(KIND_WEIGHTS[Kind.VISIT] / 2)
    meet(world["ana"], [world["raj"]], TODAY, kind=Kind.MEETING)
    tie.refresh_from_db()
    assert tie.strength(TODAY) == pytest.approx(KIND_WEIGHTS[Kind.VISIT] / 2 + KIND_WEIGHTS[Kind.MEETING])
    assert tie.interactions == 2


def test_incremental_score_equals_the_sum_whatever_the_order(world, meet):
    days = [TODAY - timedelta(days=d) for d in (5, 200, 40, 90, 1)]
    kinds = [Kind.MEETING, Kind.EXCHANGE, Kind.THANKS, Kind.ONE_ON_ONE, Kind.VISIT]
    for day, kind in zip(days, kinds, strict=True):
        meet(world["ana"], [world["raj"]], day, kind=kind)
    expected = sum(KIND_WEIGHTS[k] * 0.5 ** ((TODAY - d).days / HALF_LIFE_DAYS)
                   for d, k in zip(days, kinds, strict=True))
    tie = services.tie_between(world["ana"].pk, world["raj"].pk)
    assert tie.strength(TODAY) == pytest.approx(expected)
    assert Tie.objects.strong(TODAY).filter(pk=tie.pk).exists() == (expected >= 1.5)


def test_strong_filter_follows_decay(world, meet):
    meet(world["ana"], [world["raj"]], TODAY, kind=Kind.ONE_ON_ONE)  # 2.0 today
    assert Tie.objects.strong(TODAY).count() == 1
    assert Tie.objects.strong(TODAY + timedelta(days=HALF_LIFE_DAYS)).count() == 0  # 1.0 then


def test_the_note_is_the_authors_only(world, meet):
    interaction = meet(world["ana"], [world["raj"]], TODAY, note="Raj is worried about budget")
    assert interaction.note_for(world["ana"]) == "Raj is worried about budget"
    assert interaction.note_for(world["raj"]) == ""
    assert list(Interaction.objects.visible_to(world["raj"])) == [interaction]
    assert list(Interaction.objects.visible_to(world["carl"])) == []


def test_record_interaction_from_elsewhere_is_idempotent(world):
    first = services.record_interaction_from(Kind.DELIVERY, [world["raj"], world["ana"]], NOW, "requests.delivered:7")
    again = services.record_interaction_from(Kind.DELIVERY, [world["raj"].pk, world["ana"].pk], NOW,
                                             "requests.delivered:7")
    assert first.pk == again.pk
    assert Interaction.objects.count() == 1
    assert services.tie_between(world["ana"].pk, world["raj"].pk).interactions == 1
    # Same team, or one person: not a cross-team tie, and never an error for the caller.
    assert services.record_interaction_from(Kind.THANKS, [world["ana"], world["bo"]], NOW, "x:1") is None
    assert services.record_interaction_from(Kind.THANKS, [world["ana"]], NOW, "x:2") is None


def test_an_interaction_on_the_epoch_edge(world):
    with pytest.raises(ValidationError):
        services.log_interaction(world["ana"], kind=Kind.MEETING, occurred_on=date(1999, 1, 1),
                                 participants=[world["raj"]], now=NOW)
