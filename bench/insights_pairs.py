"""Benchmark: the pair page and a team's partner ranking with 2,000,000 requests (issue 5).

    .venv/bin/python bench/insights_pairs.py                 # builds once into liaison_bench_insights, then measures
    .venv/bin/python bench/insights_pairs.py --rebuild       # start the data over
    .venv/bin/python bench/insights_pairs.py --requests 200000 \\
        --database-url postgres://postgres@127.0.0.1:5432/liaison_bench_insights_small   # a quick run

Builds (COPY, numpy) into a dedicated PostgreSQL database: 400 teams of 10 people,
600 services owned by 200 provider teams, and two years of requests. Each customer team
asks from its own 6 favourite services, and services follow a Zipf-like popularity, so a
few pairs are very busy (tens of thousands of requests) and most have a few hundred.
Statuses follow age (recent work open, older work accepted, some declined or withdrawn);
every request has its events (created, acknowledged, committed, delivered, accepted /
declined / withdrawn). Then RequestFact is built with rollups.rebuild_facts (timed).

Measures, through the whole Django stack (test Client: middleware, session, view,
template), signed in as the lead of the team on the left:
  1. GET /insights/pairs/<a>/<b>/ for the busiest pair and a median pair;
  2. GET /insights/teams/<t>/ for the busiest team (most partners x requests) and a median team;
  3. the incremental refresh: 1,000 open requests acknowledged (UPDATE + events), then
     refresh_facts — what the `insights.facts` sweep costs per minute of such traffic.
Targets (issue 5): pair page under 1 s, partner ranking under 2 s.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _pg import copy, ensure_database, iso

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench_insights"
TEAMS, TEAM_SIZE, PROVIDERS, SERVICES, FAVOURITES = 400, 10, 200, 600, 6


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args()


def _day(s):
    return datetime.fromtimestamp(int(s), UTC).date().isoformat()


def service_team(s):
    return (s - 1) % PROVIDERS + 1  # teams 1..200 provide; all 400 ask


def build_directory(cursor, stamp):
    people = TEAMS * TEAM_SIZE
    copy(cursor, "org_person", ["id", "password", "is_superuser", "email", "name", "title", "site", "time_zone",
                                "manager_id", "is_active", "is_staff", "date_joined"],
         ((i, "!", "f", f"p{i}@bench.example", f"Person {i}", "Engineer", "HQ", "UTC", None, "t", "f", stamp)
          for i in range(1, people + 1)))
    copy(cursor, "org_team", ["id", "name", "slug", "description", "parent_id", "lead_id", "site", "created_at",
                              "updated_at"],
         ((t, f"Team {t}", f"team-{t}", "", None, (t - 1) * TEAM_SIZE + 1, "", stamp, stamp)
          for t in range(1, TEAMS + 1)))
    copy(cursor, "org_membership", ["person_id", "team_id", "joined_at"],
         ((i, (i - 1) // TEAM_SIZE + 1, stamp) for i in range(1, people + 1)))
    copy(cursor, "org_service", ["id", "team_id", "name", "slug", "description", "lead_time_days", "time_zone",
                                 "hours_start", "hours_end", "working_days", "intake_expectations", "created_at",
                                 "updated_at"],
         ((s, service_team(s), f"Service {s}", f"service-{s}", "", 2 + s % 9, "UTC", "09:00", "17:00", "12345", "",
           stamp, stamp) for s in range(1, SERVICES + 1)))
    for table in ("org_person", "org_team", "org_service"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def build_requests(cursor, n, seed, now):
    import numpy as np

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    favourites = np.stack([rng.choice(SERVICES, FAVOURITES, replace=False) + 1 for _ in range(TEAMS)])
    team_weight = 1.0 / np.arange(1, TEAMS + 1) ** 0.7
    team_weight = rng.permutation(team_weight / team_weight.sum())
    requester_team = rng.choice(TEAMS, size=n, p=team_weight) + 1
    pick = rng.choice(FAVOURITES, size=n, p=np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05]))
    service = favourites[requester_team - 1, pick]
    provider_team = (service - 1) % PROVIDERS + 1
    same = provider_team == requester_team
    service[same] = service[same] % SERVICES + 1
    provider_team = (service - 1) % PROVIDERS + 1
    requester = (requester_team - 1) * TEAM_SIZE + 1 + rng.integers(0, TEAM_SIZE, size=n)
    now_s = int(now.timestamp())
    created = np.sort(now_s - (rng.random(n) * 730 * 86400).astype(np.int64))
    age = (now_s - created) / 86400
    lead_days = rng.integers(3, 46, size=n)
    need_by = created + lead_days * 86400
    statuses = np.array(["submitted", "acknowledged", "committed", "delivered", "accepted", "declined", "withdrawn"])
    recent = age < 60
    idx = np.where(recent, rng.choice(7, size=n, p=[0.12, 0.13, 0.35, 0.10, 0.25, 0.03, 0.02]),
                   rng.choice(7, size=n, p=[0.003, 0.004, 0.01, 0.01, 0.88, 0.05, 0.043]))
    status = statuses[idx]
    is_ack, is_commit, is_deliv = np.isin(idx, [1, 2, 3, 4]), np.isin(idx, [2, 3, 4]), np.isin(idx, [3, 4])
    ack = created + rng.integers(600, 3 * 86400, size=n)
    commit = ack + rng.integers(600, 2 * 86400, size=n)
    committed_date = need_by + np.where(rng.random(n) < 0.1, rng.integers(1, 10, size=n) * 86400, 0)
    deliv = np.maximum(np.minimum(commit + rng.integers(86400, 30 * 86400, size=n), now_s - 60), commit + 60)
    accept = np.maximum(np.minimum(deliv + rng.integers(600, 5 * 86400, size=n), now_s - 30), deliv + 30)
    close = np.minimum(created + rng.integers(3600, 10 * 86400, size=n), now_s - 60)
    quality = rng.integers(2, 6, size=n)
    notice = np.maximum(0, (lead_days * 5) // 7 - 1)
    short = notice < 2 + service % 9
    print(f"  generated {n:,} requests ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    columns = ["id", "requester_id", "requester_team_id", "service_id", "provider_team_id", "provider_owner_id",
               "title", "context", "need_by", "date_kind", "options", "milestone", "status", "notice_business_days",
               "short_notice", "short_notice_owned", "probability", "confirm_by", "confirm_reminded_at",
               "committed_date", "due_date", "open_blockers", "slip_count", "rework_count", "quality",
               "decline_reason", "created_at", "updated_at", "submitted_at", "acknowledged_at", "committed_at",
               "delivered_at", "accepted_at", "declined_at", "withdrawn_at", "escalated_at"]

    def rows():
        for i in range(n):
            st, c = status[i], created[i]
            owner = int(provider_team[i] - 1) * TEAM_SIZE + 1 if is_ack[i] else None
            yield (i + 1, int(requester[i]), int(requester_team[i]), int(service[i]), int(provider_team[i]), owner,
                   f"Request #{i + 1}", "The launch depends on it.", _day(need_by[i]), "flexible",
                   "any day that week" if i % 3 else "", "", st, int(notice[i]), "t" if short[i] else "f",
                   "Short, we know." if short[i] else "", None, None, None,
                   _day(committed_date[i]) if is_commit[i] else None,
                   _day(committed_date[i] if is_commit[i] else need_by[i]), 1 if (idx[i] < 3 and i % 17 == 0) else 0,
                   1 if is_commit[i] and i % 9 == 0 else 0, 1 if st == "accepted" and i % 13 == 0 else 0,
                   int(quality[i]) if st == "accepted" else None, "No capacity." if st == "declined" else "",
                   iso(c), iso(c), iso(c), iso(ack[i]) if is_ack[i] else (iso(close[i]) if st == "declined"
                                                                                   else None),
                   iso(commit[i]) if is_commit[i] else None, iso(deliv[i]) if is_deliv[i] else None,
                   iso(accept[i]) if st == "accepted" else None, iso(close[i]) if st == "declined" else None,
                   iso(close[i]) if st == "withdrawn" else None, None)

    copy(cursor, "requests_request", columns, rows())
    cursor.execute("SELECT setval(pg_get_serial_sequence('requests_request', 'id'), %s)", [n])
    print(f"  copied requests ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()

    def events():
        for i in range(n):
            rid, pt, rt, st = i + 1, int(provider_team[i]), int(requester_team[i]), status[i]
            owner = (pt - 1) * TEAM_SIZE + 1
            yield rid, "created", int(requester[i]), iso(created[i]), pt, rt, "{}"
            if is_ack[i]:
                yield rid, "acknowledged", owner, iso(ack[i]), pt, rt, "{}"
            if is_commit[i]:
                yield rid, "committed", owner, iso(commit[i]), pt, rt, "{}"
            if is_deliv[i]:
                yield rid, "delivered", owner, iso(deliv[i]), pt, rt, "{}"
            if st == "accepted":
                yield rid, "accepted", int(requester[i]), iso(accept[i]), pt, rt, f'{{"quality": {quality[i]}}}'
            elif st in ("declined", "withdrawn"):
                yield rid, st, owner, iso(close[i]), pt, rt, "{}"

    count = copy(cursor, "requests_requestevent",
                 ["request_id", "kind", "actor_id", "at", "provider_team_id", "requester_team_id", "data"], events())
    print(f"  copied {count:,} events ({time.perf_counter() - t0:.1f} s)")


def build(args, now):
    from django.db import connection

    from liaison.insights.rollups import rebuild_facts

    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("TRUNCATE org_person, org_team, requests_request, requests_requestevent, insights_requestfact, "
                  "insights_watermark RESTART IDENTITY CASCADE")
        c.execute("SET session_replication_role = replica")  # consistent by construction: skip FK triggers
        build_directory(c.cursor, now.isoformat())
        build_requests(c.cursor, args.requests, args.seed, now)
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE")
    print(f"  requests and events loaded in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    facts = rebuild_facts(now)
    with connection.cursor() as c:
        c.execute("ANALYZE insights_requestfact")
    print(f"  RequestFact built with rebuild_facts: {facts:,} rows in {time.perf_counter() - t0:.1f} s")


def timed(client, url, renders):
    from django.db import connection, reset_queries

    times = []
    for _ in range(renders):
        reset_queries()
        t0 = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
    queries = len(connection.queries)
    times.sort()
    return {"median": statistics.median(times), "max": times[-1], "min": times[0], "queries": queries}


def report(label, figures, target):
    verdict = "ok" if figures["median"] < target else "OVER TARGET"
    print(f"  {label:<58} median {figures['median'] * 1000:7.0f} ms   min {figures['min'] * 1000:6.0f} ms   "
          f"max {figures['max'] * 1000:6.0f} ms   {figures['queries']:3d} queries   (target {target:.0f} s: {verdict})")


def measure(args):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from liaison.insights.models import RequestFact
    from liaison.org.models import Person, Team

    setup_test_environment()
    settings.DEBUG = True  # record queries
    with connection.cursor() as c:
        c.execute("SELECT provider_team_id, requester_team_id, count(*) FROM insights_requestfact "
                  "GROUP BY 1, 2 ORDER BY 3 DESC")
        pairs = c.fetchall()
        c.execute("SELECT team, sum(n) FROM (SELECT provider_team_id team, count(*) n FROM insights_requestfact "
                  "GROUP BY 1 UNION ALL SELECT requester_team_id, count(*) FROM insights_requestfact GROUP BY 1) x "
                  "GROUP BY 1 ORDER BY 2 DESC")
        teams = c.fetchall()
    print(f"Data: {RequestFact.objects.count():,} requests in {len(pairs):,} pairs; busiest pair "
          f"{pairs[0][2]:,} requests, median pair {pairs[len(pairs) // 2][2]:,}; busiest team "
          f"{teams[0][1]:,} requests (as provider and customer), median team {teams[len(teams) // 2][1]:,}.\n")

    def client_for(team_id):
        client = Client()
        client.force_login(Person.objects.get(pk=Team.objects.get(pk=team_id).lead_id))
        return client

    slug = {t.pk: t.slug for t in Team.objects.all()}
    for label, (a, b, n) in (("busiest pair", pairs[0]), ("median pair", pairs[len(pairs) // 2])):
        client = client_for(a)
        client.get(f"/insights/pairs/{slug[a]}/{slug[b]}/")  # warm: imports lifelines, scipy
        report(f"pair page, {label} ({n:,} requests)",
               timed(client, f"/insights/pairs/{slug[a]}/{slug[b]}/", args.renders), 1.0)
    for label, (t, n) in (("busiest team", teams[0]), ("median team", teams[len(teams) // 2])):
        client = client_for(t)
        partners = len({b for a, b, _ in pairs if a == t} | {a for a, b, _ in pairs if b == t})
        report(f"partner ranking, {label} ({n:,} requests, {partners} partners)",
               timed(client, f"/insights/teams/{slug[t]}/", args.renders), 2.0)


def refresh_after_changes(now, count=1000):
    """Acknowledge `count` open requests the way the service does (row + event), then fold them in."""
    from django.db import connection

    from liaison.insights.models import RequestFact
    from liaison.insights.rollups import refresh_facts

    refresh_facts(now)  # catch up first
    with connection.cursor() as c:
        c.execute("SELECT id, provider_team_id, requester_team_id FROM requests_request WHERE status = 'submitted' "
                  "ORDER BY id DESC LIMIT %s", [count])
        rows = c.fetchall()
        ids = [r[0] for r in rows]
        c.execute("UPDATE requests_request SET status = 'acknowledged', acknowledged_at = %s WHERE id = ANY(%s)",
                  [now, ids])
        copy(c.cursor, "requests_requestevent",
             ["request_id", "kind", "actor_id", "at", "provider_team_id", "requester_team_id", "data"],
             ((rid, "acknowledged", None, now.isoformat(), pt, rt, "{}") for rid, pt, rt in rows))
    t0 = time.perf_counter()
    written = refresh_facts(now)
    elapsed = time.perf_counter() - t0
    acknowledged = RequestFact.objects.filter(pk__in=ids, acknowledged_s=int(now.timestamp())).count()
    assert acknowledged == len(ids), (acknowledged, len(ids))
    print(f"  incremental refresh: {len(ids):,} requests changed, {written:,} facts rewritten in {elapsed:.2f} s "
          f"(all {acknowledged:,} show the acknowledgement)")


def main():
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from liaison.insights.models import RequestFact

    call_command("migrate", verbosity=0)
    now = timezone.now()
    print(f"Benchmark: insights pair page and partner ranking, {args.requests:,} requests, {args.database_url}")
    if args.rebuild or RequestFact.objects.count() < args.requests * 0.99:
        print("Building:")
        build(args, now)
    print()
    measure(args)
    refresh_after_changes(now)
    from _machine import print_machine

    print()
    print_machine()


if __name__ == "__main__":
    main()
