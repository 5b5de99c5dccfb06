"""The tie graph: warm paths and bridges, read from the Tie table.

Warm path
---------
"From me to a person I have no tie with, the best chain of strong ties" (seed 001: go
through someone with more affinity). Only ties strong *today* are edges (an indexed
range on `Tie.strength_key`, see models). An edge costs

    cost = 1 + 1 / strength

so every hop costs at least 1 (a short chain wins) and a stronger tie costs less (among
chains of the same length, the warmest wins).

The graph is never loaded whole. `warm_path` grows two balls, hop by hop, from both
ends (one indexed query per layer: the strong ties of the frontier), runs networkx's
bidirectional Dijkstra on what it has loaded, and stops as soon as the answer is
proven best: a chain that leaves the loaded balls has at least rs + rt + 1 hops (rs,
rt = layers grown), so it costs at least that much. When the proof would need more
layers than `extra_layers` past the first meeting, it returns the best chain loaded
(the best of the chains at most that many hops longer than the shortest).

bench/network_paths.py compares this with a per-process cached adjacency of all strong
ties (`CachedGraph`, keyed by the day and the newest interaction's id). On 50,000
people and 2,000,000 interactions (PostgreSQL, 2 cores) the per-query search answered
in 75 ms median / 128 ms p95, the cached graph took 12 s and 30 MiB to load per process
and then 187 ms median per query: the per-query search is what the pages use.
"""

import heapq
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import networkx as nx
from django.db.models import Max, Q

from liaison.org.models import Membership, Person

from .models import KIND_VERBS, STRONG_TIE, Interaction, Kind, Tie, decay, strength_label, strong_key

MAX_HOPS = 6
MAX_LOADED = 200_000


def edge_cost(strength):
    return 1.0 + 1.0 / strength


def _strength(score, as_of, today):
    return decay(score, max(0, (today - as_of).days))


def strong_ties_of(node_ids, today, threshold=STRONG_TIE):
    """[(a, b, strength)] for every tie strong today touching one of `node_ids`."""
    key = strong_key(today, threshold)
    ids = list(node_ids)
    rows = []
    for start in range(0, len(ids), 10_000):
        chunk = ids[start:start + 10_000]
        qs = Tie.objects.filter(Q(person_low_id__in=chunk) | Q(person_high_id__in=chunk), strength_key__gte=key)
        rows.extend(qs.values_list("person_low_id", "person_high_id", "score", "as_of"))
    return [(a, b, _strength(score, as_of, today)) for a, b, score, as_of in rows]


@dataclass
class PathResult:
    people: list  # person ids, source first
    cost: float
    proven_best: bool
    loaded_nodes: int = 0
    queries: int = 0
    strengths: list = field(default_factory=list)


def warm_path(source_id, target_id, today, *, threshold=STRONG_TIE, max_hops=MAX_HOPS, extra_layers=1):
    """The best chain of strong ties from `source_id` to `target_id`, or None (see module doc)."""
    if source_id == target_id:
        return None
    graph = nx.Graph()
    graph.add_nodes_from([source_id, target_id])
    seen = {"s": {source_id: 0}, "t": {target_id: 0}}
    frontier = {"s": {source_id}, "t": {target_id}}
    layers = {"s": 0, "t": 0}
    best, met_at, queries = None, None, 0
    while layers["s"] + layers["t"] < max_hops:
        # Grow the side with the smaller frontier: the cheaper query.
        side = "s" if len(frontier["s"]) <= len(frontier["t"]) else "t"
        if not frontier[side]:
            break
        edges = strong_ties_of(frontier[side], today, threshold)
        queries += 1
        nxt = set()
        for a, b, strength in edges:
            graph.add_edge(a, b, weight=edge_cost(strength), strength=strength)
            for node in (a, b):
                if node not in seen[side]:
                    seen[side][node] = layers[side] + 1
                    nxt.add(node)
        layers[side] += 1
        frontier[side] = nxt
        if seen["s"].keys() & seen["t"].keys() or graph.has_edge(source_id, target_id):
            try:
                cost, people = nx.bidirectional_dijkstra(graph, source_id, target_id, weight="weight")
            except nx.NetworkXNoPath:
                continue
            best = (cost, people)
            met_at = met_at if met_at is not None else layers["s"] + layers["t"]
            bound = layers["s"] + layers["t"] + 1
            if cost <= bound or layers["s"] + layers["t"] >= met_at + extra_layers:
                break
        if graph.number_of_nodes() > MAX_LOADED:
            break
    if best is None:
        return None
    cost, people = best
    bound = layers["s"] + layers["t"] + 1
    strengths = [graph.edges[a, b]["strength"] for a, b in itertools.pairwise(people)]
    return PathResult(people=people, cost=cost, proven_best=cost <= bound, loaded_nodes=graph.number_of_nodes(),
                      queries=queries, strengths=strengths)


class CachedGraph:
    """All strong ties in memory, per process; rebuilt when the day or the newest
    interaction changes. Kept for the benchmark's comparison (see module doc)."""

    def __init__(self):
        self.key = None
        self.adjacency = {}

    def version(self, today):
        return today, Interaction.objects.aggregate(m=Max("id"))["m"]

    def load(self, today, threshold=STRONG_TIE):
        key = strong_key(today, threshold)
        adjacency = defaultdict(list)
        rows = Tie.objects.filter(strength_key__gte=key).values_list("person_low_id", "person_high_id", "score",
                                                                      "as_of")
        for a, b, score, as_of in rows.iterator(chunk_size=20_000):
            cost = edge_cost(_strength(score, as_of, today))
            adjacency[a].append((b, cost))
            adjacency[b].append((a, cost))
        self.adjacency = adjacency

    def path(self, source_id, target_id, today):
        version = self.version(today)
        if version != self.key:
            self.load(today)
            self.key = version
        return dijkstra(self.adjacency, source_id, target_id)


def dijkstra(adjacency, source, target, max_hops=MAX_HOPS):
    dist, previous, hops = {source: 0.0}, {}, {source: 0}
    heap = [(0.0, source)]
    while heap:
        d, node = heapq.heappop(heap)
        if node == target:
            path = [node]
            while node in previous:
                node = previous[node]
                path.append(node)
            return d, path[::-1]
        if d > dist.get(node, float("inf")) or hops[node] >= max_hops:
            continue
        for nbr, cost in adjacency.get(node, ()):
            nd = d + cost
            if nd < dist.get(nbr, float("inf")):
                dist[nbr], previous[nbr], hops[nbr] = nd, node, hops[node] + 1
                heapq.heappush(heap, (nd, nbr))
    return None


# --- explanations ---------------------------------------------------------------------------

def explain_step(a, b, today):
    """One sentence about the tie between Person a and Person b, from counts only: never a note."""
    quarter_start = today - timedelta(days=90)
    pair = (Q(author=a, participant_links__person=b) | Q(author=b, participant_links__person=a))
    recent = Counter(Interaction.objects.filter(pair, occurred_on__gte=quarter_start, occurred_on__lte=today)
                     .values_list("kind", flat=True))
    tie = Tie.objects.filter(person_low_id=min(a.pk, b.pk), person_high_id=max(a.pk, b.pk)).first()
    strength = tie.strength(today) if tie else 0.0
    label = strength_label(strength)
    if recent:
        total = sum(recent.values())
        kind, _ = recent.most_common(1)[0]
        verb = KIND_VERBS[Kind(kind)] if len(recent) == 1 else "met"
        times = "once" if total == 1 else ("twice" if total == 2 else f"{total} times")
        text = f"{a.name} {verb} {b.name} {times} this quarter"
    elif tie:
        text = (f"{a.name} and {b.name} have met {tie.interactions} time{'s' if tie.interactions != 1 else ''}, "
                f"last on {tie.last_on:%d %b %Y}")
    else:
        text = f"{a.name} and {b.name} have no recorded tie"
    return {"from": a, "to": b, "text": text + f" ({label} tie).", "strength": round(strength, 1), "label": label}


def explained_path(source, target, today):
    """warm_path between two Person objects, each step explained; None when there is none."""
    result = warm_path(source.pk, target.pk, today)
    if result is None:
        return None
    people = Person.objects.in_bulk(result.people)
    chain = [people[pk] for pk in result.people]
    steps = [explain_step(a, b, today) for a, b in itertools.pairwise(chain)]
    return {"people": chain, "steps": steps, "proven_best": result.proven_best, "cost": round(result.cost, 2)}


# --- bridges ---------------------------------------------------------------------------------

def bridges(team_a, team_b, today, *, threshold=STRONG_TIE, limit=10):
    """People with strong ties into both teams (being a member counts as being inside).

    Returns dicts (person, into_a, into_b, ties_a, ties_b, member_of) sorted by the weaker
    of the two sides: the people through whom the two teams are best connected.
    """
    members = defaultdict(set)
    for team_id, person_id in Membership.objects.filter(team__in=[team_a, team_b],
                                                        person__is_active=True).values_list("team_id", "person_id"):
        members[team_id].add(person_id)
    in_a, in_b = members[team_a.pk], members[team_b.pk]
    into = defaultdict(lambda: {"a": 0.0, "b": 0.0, "na": 0, "nb": 0})
    for low, high, strength in strong_ties_of(in_a | in_b, today, threshold):
        for person, other in ((low, high), (high, low)):
            if other in in_a and person not in in_a:
                into[person]["a"] += strength
                into[person]["na"] += 1
            if other in in_b and person not in in_b:
                into[person]["b"] += strength
                into[person]["nb"] += 1
    rows = []
    for person_id, v in into.items():
        reaches_a = person_id in in_a or v["na"]
        reaches_b = person_id in in_b or v["nb"]
        if reaches_a and reaches_b:
            rows.append((person_id, v))
    people = Person.objects.filter(is_active=True).in_bulk([pid for pid, _ in rows])
    result = []
    for person_id, v in rows:
        if person_id not in people:
            continue
        member_of = [t.name for t, ids in ((team_a, in_a), (team_b, in_b)) if person_id in ids]
        weakest = min(v["a"] if person_id not in in_a else float("inf"),
                      v["b"] if person_id not in in_b else float("inf"))
        result.append({"person": people[person_id], "into_a": round(v["a"], 1), "into_b": round(v["b"], 1),
                       "ties_a": v["na"], "ties_b": v["nb"], "member_of": member_of, "_rank": weakest})
    result.sort(key=lambda r: (-r["_rank"], r["person"].name))
    for r in result:
        del r["_rank"]
    return result[:limit]


def partner_teams(team, today, limit=8):
    """The teams `team` depends on or is depended on by, then those its members have the
    strongest ties into: the partners its network page shows bridges for."""
    from liaison.org.models import Team

    from .dependencies import team_dependencies

    partner_ids = []
    for (a, b) in team_dependencies(None):
        other = b if a == team.pk else a if b == team.pk else None
        if other and other not in partner_ids:
            partner_ids.append(other)
    mine = set(Membership.objects.filter(team=team).values_list("person_id", flat=True))
    weight = Counter()
    ties = strong_ties_of(mine, today)
    others = {b if a in mine else a for a, b, _ in ties}
    teams_of = defaultdict(set)
    for person_id, team_id in Membership.objects.filter(person_id__in=others).values_list("person_id", "team_id"):
        teams_of[person_id].add(team_id)
    for a, b, strength in ties:
        other = b if a in mine else a
        for team_id in teams_of[other] - {team.pk}:
            weight[team_id] += strength
    partner_ids += [t for t, _ in weight.most_common() if t not in partner_ids]
    teams = Team.objects.in_bulk(partner_ids[:limit])
    return [teams[t] for t in partner_ids[:limit] if t in teams]
