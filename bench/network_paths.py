"""Benchmark: warm paths and the nudge sweep on 50,000 people and 2,000,000 interactions.

    .venv/bin/python bench/network_paths.py [--people 50000] [--interactions 2000000]
        [--database-url postgres://postgres@127.0.0.1:5432/liaison_bench_network]
        [--paths 50] [--rebuild]

Builds the data once (kept between runs; --rebuild to start over) with COPY into the
bench database (created if missing, migrated): 2,000 teams of 25 in 100 departments,
one service per team depending on three others, and two years of interactions — each
person has a circle of ~20 contacts (own team, own department, anywhere) and meets
them with a skew toward the closest. Ties are computed from the interactions with the
same formula as Tie.add (numpy, grouped per pair), so the Tie table is what logging
them one by one would have produced.

Then measures, and prints with the machine:
  1. warm_path (per-query, hop-by-hop loading from the indexed Tie table) between
     random pairs with no direct tie: median / p95 / max, queries and nodes loaded;
  2. the alternative, CachedGraph (all strong ties in memory per process): its load
     time and memory, then its per-query time;
  3. log_interaction (the incremental Tie update) — one call;
  4. send_nudges (the weekly/nightly sweep), end to end with its notifications.
Targets (issue 6): a warm path under 200 ms, the sweep under 60 s.
"""

import argparse
import io
import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench_network"
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
TEAM_SIZE, TEAMS_PER_DEPT = 25, 20


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--paths", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args()


def ensure_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def copy(cursor, table, columns, rows):
    """COPY rows (tuples) into table; None is NULL."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        while chunk := buf.read(1 << 20):
            cp.write(chunk)


def build(args):
    import numpy as np
    from django.db import connection

    from liaison.network.models import EPOCH, HALF_LIFE_DAYS, KIND_WEIGHTS, Kind

    rng = np.random.default_rng(args.seed)
    n_people, n_teams = args.people, args.people // TEAM_SIZE
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("TRUNCATE org_person, org_team, network_interaction, network_tie, notify_notification, "
                  "network_nudge RESTART IDENTITY CASCADE")
        stamp = NOW.isoformat()
        copy(c.cursor, "org_person", ["password", "is_superuser", "email", "name", "title", "site", "time_zone",
                                      "is_active", "is_staff", "date_joined"],
             (("!", "f", f"p{i}@bench.example", f"Person {i}", "Engineer", "HQ", "UTC", "t", "f", stamp)
              for i in range(1, n_people + 1)))
        copy(c.cursor, "org_team", ["name", "slug", "description", "lead_id", "site", "created_at", "updated_at"],
             ((f"Team {t}", f"team-{t}", "", t * TEAM_SIZE + 1, "", stamp, stamp) for t in range(n_teams)))
        copy(c.cursor, "org_membership", ["person_id", "team_id", "joined_at"],
             ((i, (i - 1) // TEAM_SIZE + 1, stamp) for i in range(1, n_people + 1)))
        copy(c.cursor, "org_service", ["team_id", "name", "slug", "description", "lead_time_days", "time_zone",
                                       "hours_start", "hours_end", "working_days", "intake_expectations",
                                       "created_at", "updated_at"],
             ((t, f"Service {t}", f"service-{t}", "", 5, "UTC", "09:00", "17:00", "12345", "", stamp, stamp)
              for t in range(1, n_teams + 1)))
        deps = set()
        for t in range(n_teams):
            dept = t // TEAMS_PER_DEPT
            for _ in range(3):
                other = (dept * TEAMS_PER_DEPT + int(rng.integers(TEAMS_PER_DEPT)) if rng.random() < 0.7
                         else int(rng.integers(n_teams)))
                if other != t:
                    deps.add((t + 1, other + 1))
        copy(c.cursor, "org_servicedependency", ["service_id", "depends_on_id", "created_at"],
             ((a, b, stamp) for a, b in deps))
    print(f"  directory: {n_people:,} people, {n_teams:,} teams, {len(deps):,} dependencies "
          f"({time.perf_counter() - t0:.1f} s)")

    # Circles: 8 in the own team, 8 in the own department, 4 anywhere (0-based person index).
    t0 = time.perf_counter()
    idx = np.arange(n_people)
    team = idx // TEAM_SIZE
    dept_first = (team // TEAMS_PER_DEPT) * TEAMS_PER_DEPT * TEAM_SIZE
    dept_size = np.minimum(TEAMS_PER_DEPT * TEAM_SIZE, n_people - dept_first)
    circle = np.concatenate([
        (team * TEAM_SIZE)[:, None] + rng.integers(TEAM_SIZE, size=(n_people, 8)),
        dept_first[:, None] + (rng.random((n_people, 8)) * dept_size[:, None]).astype(np.int64),
        rng.integers(n_people, size=(n_people, 4)),
    ], axis=1)
    n = int(args.interactions * 1.1)  # oversample: self-contacts are dropped, then trim to the target
    authors = rng.integers(n_people, size=n)
    slot = np.minimum(rng.geometric(0.15, size=n) - 1, circle.shape[1] - 1)
    slot = rng.permutation(circle.shape[1])[slot]  # the skew falls on a random part of the circle
    others = circle[authors, slot]
    keep = others != authors
    authors, others = authors[keep][:args.interactions], others[keep][:args.interactions]
    n = len(authors)
    days_ago = rng.integers(0, 730, size=n)
    kinds = np.array([Kind.ONE_ON_ONE, Kind.MEETING, Kind.VISIT, Kind.EXCHANGE, Kind.SHARED_PROJECT, Kind.THANKS,
                      Kind.INFORMAL, Kind.DELIVERY])
    kind_idx = rng.choice(len(kinds), size=n, p=[0.25, 0.35, 0.04, 0.01, 0.1, 0.1, 0.1, 0.05])
    weights = np.array([KIND_WEIGHTS[Kind(str(k))] for k in kinds])[kind_idx]
    day_numbers = (TODAY - EPOCH).days - days_ago
    print(f"  generated {n:,} interactions ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    with connection.cursor() as c:
        kind_values = [str(k) for k in kinds]
        copy(c.cursor, "network_interaction", ["author_id", "kind", "occurred_on", "note", "created_at"],
             ((int(a) + 1, kind_values[k], (EPOCH + timedelta(days=int(d))).isoformat(), "", stamp)
              for a, k, d in zip(authors, kind_idx, day_numbers, strict=True)))
        copy(c.cursor, "network_interactionparticipant", ["interaction_id", "person_id"],
             ((i + 1, int(o) + 1) for i, o in enumerate(others)))
    print(f"  copied interactions and participants ({time.perf_counter() - t0:.1f} s)")

    # Ties: per unordered pair, the score as of TODAY (as_of = TODAY: the same value Tie.add reaches).
    t0 = time.perf_counter()
    low, high = np.minimum(authors, others) + 1, np.maximum(authors, others) + 1
    key = low.astype(np.int64) * (n_people + 1) + high
    order = np.argsort(key, kind="stable")
    key, low, high = key[order], low[order], high[order]
    contrib = weights[order] * 0.5 ** (days_ago[order] / HALF_LIFE_DAYS)
    dn = day_numbers[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    score = np.add.reduceat(contrib, starts)
    count = np.diff(np.r_[starts, len(key)])
    first = np.minimum.reduceat(dn, starts)
    last = np.maximum.reduceat(dn, starts)
    today_n = (TODAY - EPOCH).days
    skey = np.log2(score) + today_n / HALF_LIFE_DAYS
    with connection.cursor() as c:
        copy(c.cursor, "network_tie", ["person_low_id", "person_high_id", "score", "as_of", "strength_key",
                                       "interactions", "first_on", "last_on"],
             ((int(a), int(b), repr(float(s)), TODAY.isoformat(), repr(float(k)), int(m),
               (EPOCH + timedelta(days=int(f))).isoformat(), (EPOCH + timedelta(days=int(la))).isoformat())
              for a, b, s, k, m, f, la in zip(low[starts], high[starts], score, skey, count, first, last,
                                              strict=True)))
        c.execute("ANALYZE")
    print(f"  ties: {len(starts):,} pairs ({time.perf_counter() - t0:.1f} s)")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main():
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    import django

    django.setup()
    from _machine import print_machine
    from django.core.management import call_command
    from django.db import connection

    from liaison.network import graph, services
    from liaison.network.models import Interaction, Kind, Nudge, Tie
    from liaison.org.models import Person

    call_command("migrate", verbosity=0)
    print_machine()
    have = Person.objects.count()
    if args.rebuild or have != args.people or Interaction.objects.count() < args.interactions * 0.9:
        print("Building the data set:")
        build(args)
    strong = Tie.objects.strong(TODAY).count()
    print(f"Data: {Person.objects.count():,} people, {Interaction.objects.count():,} interactions, "
          f"{Tie.objects.count():,} ties, {strong:,} strong today")

    import random

    rnd = random.Random(args.seed)
    pairs = []
    while len(pairs) < args.paths:
        a, b = rnd.randint(1, args.people), rnd.randint(1, args.people)
        if a != b and services.tie_between(a, b) is None:
            pairs.append((a, b))

    print(f"\n1. warm_path, per query ({len(pairs)} random pairs with no direct tie):")
    times, found, loaded, queries, proven, hops = [], 0, [], [], 0, []
    for a, b in pairs:
        connection.queries_log.clear()
        t0 = time.perf_counter()
        result = graph.warm_path(a, b, TODAY)
        times.append((time.perf_counter() - t0) * 1000)
        if result:
            found += 1
            loaded.append(result.loaded_nodes)
            queries.append(result.queries)
            proven += result.proven_best
            hops.append(len(result.people) - 1)
    print(f"   found {found}/{len(pairs)} (proven best {proven}); hops median "
          f"{statistics.median(hops) if hops else 0:.0f}, max {max(hops, default=0)}")
    print(f"   time ms: median {statistics.median(times):.1f}  p95 {pct(times, 0.95):.1f}  max {max(times):.1f}")
    if loaded:
        print(f"   nodes loaded: median {statistics.median(loaded):,.0f}  max {max(loaded):,}; "
              f"queries median {statistics.median(queries):.0f}")
    a, b = pairs[0]
    t0 = time.perf_counter()
    explained = graph.explained_path(Person.objects.get(pk=a), Person.objects.get(pk=b), TODAY)
    print(f"   with explanations (page/API): {(time.perf_counter() - t0) * 1000:.1f} ms "
          f"({len(explained['steps']) if explained else 0} steps)")

    print("\n2. CachedGraph (all strong ties in memory per process):")
    cached = graph.CachedGraph()
    tracemalloc.start()
    t0 = time.perf_counter()
    cached.load(TODAY)
    cached.key = cached.version(TODAY)
    load_s = time.perf_counter() - t0
    mem = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    print(f"   load {load_s:.1f} s, {mem:,.0f} MiB, {sum(len(v) for v in cached.adjacency.values()) // 2:,} edges")
    ctimes, agree = [], 0
    for a, b in pairs:
        t0 = time.perf_counter()
        got = cached.path(a, b, TODAY)
        ctimes.append((time.perf_counter() - t0) * 1000)
        per_query = graph.warm_path(a, b, TODAY)
        agree += (got is None and per_query is None) or (
            got is not None and per_query is not None and abs(got[0] - per_query.cost) < 1e-9)
    print(f"   time ms (incl. version check): median {statistics.median(ctimes):.1f}  p95 {pct(ctimes, 0.95):.1f}  "
          f"max {max(ctimes):.1f}; same cost as per-query on {agree}/{len(pairs)}")

    print("\n3. log_interaction (incremental tie update):")
    from django.db import transaction

    author, other = Person.objects.get(pk=1), Person.objects.get(pk=args.people)
    with transaction.atomic():
        t0 = time.perf_counter()
        services.log_interaction(author, kind=Kind.ONE_ON_ONE, occurred_on=TODAY, participants=[other], now=NOW)
        print(f"   {(time.perf_counter() - t0) * 1000:.1f} ms")
        transaction.set_rollback(True)

    print("\n4. send_nudges (the sweep):")
    Nudge.objects.all().delete()
    with connection.cursor() as c:
        c.execute("DELETE FROM notify_notification WHERE kind = 'network.nudge'")
    t0 = time.perf_counter()
    created = services.send_nudges(NOW)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = services.send_nudges(NOW + timedelta(days=7))
    second = time.perf_counter() - t0
    from liaison.notify.models import Notification

    print(f"   first run: {first:.1f} s, {created:,} nudges, "
          f"{Notification.objects.filter(kind='network.nudge').count():,} notifications")
    print(f"   a week later: {second:.1f} s, {again:,} new nudges (pairs newly out of touch; no repeats)")


if __name__ == "__main__":
    main()
