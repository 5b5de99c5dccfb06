import itertools
from datetime import timedelta

from liaison.network import graph
from liaison.network.models import Kind
from tests.factories import MembershipFactory, PersonFactory, TeamFactory
from tests.network.conftest import TODAY, person


def test_warm_path_goes_through_strong_ties_and_explains_each_step(world, meet):
    for days in (5, 20, 40, 60):
        meet(world["ana"], [world["sue"]], TODAY - timedelta(days=days), note="secret about sue")
    meet(world["sue"], [world["carl"]], TODAY - timedelta(days=2), kind=Kind.VISIT)
    result = graph.explained_path(world["ana"], world["carl"], TODAY)
    assert [p.name for p in result["people"]] == ["Ana Remote", "Sue Hq", "Carl Finance"]
    assert result["steps"][0]["text"].startswith("Ana Remote met Sue Hq 4 times this quarter")
    assert "visited Carl Finance once this quarter" in result["steps"][1]["text"]
    assert all("secret" not in s["text"] for s in result["steps"])
    assert result["proven_best"]


def test_weak_ties_are_not_a_path(world, meet):
    meet(world["ana"], [world["sue"]], TODAY - timedelta(days=300), kind=Kind.MEETING)
    meet(world["sue"], [world["carl"]], TODAY, kind=Kind.VISIT)
    assert graph.warm_path(world["ana"].pk, world["carl"].pk, TODAY) is None


def test_the_warmer_chain_wins_among_equal_lengths(world, meet):
    meet(world["ana"], [world["sue"]], TODAY, kind=Kind.ONE_ON_ONE)
    meet(world["sue"], [world["carl"]], TODAY, kind=Kind.ONE_ON_ONE)
    meet(world["ana"], [world["raj"]], TODAY, kind=Kind.EXCHANGE)
    meet(world["raj"], [world["carl"]], TODAY, kind=Kind.EXCHANGE)
    assert graph.warm_path(world["ana"].pk, world["carl"].pk, TODAY).people == [
        world["ana"].pk, world["raj"].pk, world["carl"].pk]


def test_a_long_chain_is_found_and_matches_the_cached_graph(db, meet):
    teams = [TeamFactory() for _ in range(8)]
    chain = [person(f"P{i} Chain", teams[i]) for i in range(8)]
    for a, b in itertools.pairwise(chain):
        meet(a, [b], TODAY, kind=Kind.ONE_ON_ONE)
    shortcut = PersonFactory(name="Shortcut")
    MembershipFactory(person=shortcut, team=TeamFactory())
    meet(chain[1], [shortcut], TODAY, kind=Kind.EXCHANGE)
    meet(shortcut, [chain[5]], TODAY, kind=Kind.EXCHANGE)
    result = graph.warm_path(chain[0].pk, chain[7].pk, TODAY)
    assert result.people == [chain[0].pk, chain[1].pk, shortcut.pk, chain[5].pk, chain[6].pk, chain[7].pk]
    cost, people = graph.CachedGraph().path(chain[0].pk, chain[7].pk, TODAY)
    assert people == result.people and abs(cost - result.cost) < 1e-9


def test_bridges_have_strong_ties_into_both_teams(world, meet):
    meet(world["carl"], [world["ana"]], TODAY, kind=Kind.EXCHANGE)
    meet(world["carl"], [world["raj"]], TODAY, kind=Kind.VISIT)
    meet(world["bo"], [world["sue"]], TODAY, kind=Kind.ONE_ON_ONE)  # a member of one with a tie into the other
    meet(world["sue"], [world["carl"]], TODAY - timedelta(days=400), kind=Kind.MEETING)  # long faded
    rows = graph.bridges(world["remote"], world["hq"], TODAY)
    names = [r["person"].name for r in rows]
    assert names[0] == "Carl Finance"
    assert set(names) == {"Carl Finance", "Bo Remote", "Sue Hq"}
    carl = rows[0]
    assert carl["ties_a"] == 1 and carl["ties_b"] == 1 and carl["member_of"] == []


def test_no_bridges_between_unconnected_teams(world):
    assert graph.bridges(world["remote"], world["hq"], TODAY) == []
