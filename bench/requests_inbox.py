"""Benchmark: a provider team's inbox page with 1,000,000 requests in PostgreSQL (issue 3).

    .venv/bin/python bench/requests_inbox.py              # builds once into liaison_bench_requests, then measures
    .venv/bin/python bench/requests_inbox.py --rebuild    # start the data over
    .venv/bin/python bench/requests_inbox.py --requests 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/liaison_bench_requests_small   # a quick run

Builds the data once (kept between runs; --rebuild to start over) with COPY into the
bench database (created if missing, migrated): 2,000 teams of 10 people (100
departments above 1,900 teams), 5,000 services, and two years of requests whose
services follow a Zipf-like popularity (the busiest team receives a few per cent of
all requests, most teams a few hundred). Statuses follow age: requests of the last
60 days are spread over submitted / acknowledged / committed / delivered / accepted;
older ones are mostly accepted, some declined, withdrawn, or still open (long
overdue). Every request has its timeline: a "created" event, then one event per step
it went through (acknowledged, committed, delivered, accepted, declined, withdrawn).

Then measures, through the whole Django stack (test Client: middleware, session,
view, template), with a signed-in member of the busiest provider team:
  1. GET /requests/inbox/<team>/ — every tab (all, new, unacknowledged, due soon,
     overdue, blocked), page 1, and a deep page of "all": median / p95 / max over
     --renders renders, and the number of SQL queries;
  2. GET /api/v1/requests/inbox?team=<team> (token auth) and the services
     team_inbox + inbox_counts alone;
  3. EXPLAIN (ANALYZE, BUFFERS) of every query the page runs on the request table.
Target (issue 3): the inbox page under 200 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _pg import copy, ensure_database, iso

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench_requests"
TEAMS, TEAM_SIZE, DEPARTMENTS, SERVICES = 2_000, 10, 100, 5_000
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Europe/London"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args()


def build_directory(cursor, stamp):
    """2,000 teams (100 departments over 1,900 teams), 10 people each, 5,000 services."""
    people = TEAMS * TEAM_SIZE
    # Person i (1-based) is in team (i-1)//10 + 1; the first of each team leads it and
    # reports to the lead of the department above (departments: teams 1..100).
    def manager(i):
        team = (i - 1) // TEAM_SIZE + 1
        if (i - 1) % TEAM_SIZE:
            return (team - 1) * TEAM_SIZE + 1
        if team <= DEPARTMENTS:
            return None
        return ((team - 1) % DEPARTMENTS) * TEAM_SIZE + 1

    copy(cursor, "org_person", ["id", "password", "is_superuser", "email", "name", "title", "site", "time_zone",
                                "manager_id", "is_active", "is_staff", "date_joined"],
         ((i, "!", "f", f"p{i}@bench.example", f"Person {i}", "Engineer", "HQ", "UTC", manager(i), "t", "f", stamp)
          for i in range(1, people + 1)))
    copy(cursor, "org_team", ["id", "name", "slug", "description", "parent_id", "lead_id", "site", "created_at",
                              "updated_at"],
         ((t, f"Team {t}", f"team-{t}", "", None if t <= DEPARTMENTS else (t - 1) % DEPARTMENTS + 1,
           (t - 1) * TEAM_SIZE + 1, "", stamp, stamp) for t in range(1, TEAMS + 1)))
    copy(cursor, "org_membership", ["person_id", "team_id", "joined_at"],
         ((i, (i - 1) // TEAM_SIZE + 1, stamp) for i in range(1, people + 1)))
    copy(cursor, "org_service", ["id", "team_id", "name", "slug", "description", "lead_time_days", "time_zone",
                                 "hours_start", "hours_end", "working_days", "intake_expectations", "created_at",
                                 "updated_at"],
         ((s, service_team(s), f"Service {s}", f"service-{s}", "", 2 + s % 9, ZONES[s % len(ZONES)], "09:00",
           "17:00", "12345", "", stamp, stamp) for s in range(1, SERVICES + 1)))
    for table in ("org_person", "org_team", "org_service"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def service_team(s):
    """Services are spread over teams by a fixed permutation (team 1 is not the busiest)."""
    return (s * 7919) % TEAMS + 1


def build_requests(cursor, n, seed, now):
    """n requests over two years before `now`, with their events (COPY, numpy)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    # Zipf-like popularity over services, in a random order.
    weights = 1.0 / np.arange(1, SERVICES + 1) ** 0.8
    weights = rng.permutation(weights / weights.sum())
    service = rng.choice(SERVICES, size=n, p=weights) + 1
    provider_team = (service * 7919) % TEAMS + 1
    requester_team = rng.integers(1, TEAMS + 1, size=n)
    same = requester_team == provider_team
    requester_team[same] = requester_team[same] % TEAMS + 1
    requester = (requester_team - 1) * TEAM_SIZE + 1 + rng.integers(0, TEAM_SIZE, size=n)
    now_s = int(now.timestamp())
    created = np.sort(now_s - (rng.random(n) ** 0.9 * 730 * 86400).astype(np.int64))  # a bit more recent work
    age_days = (now_s - created) / 86400
    lead_days = rng.integers(3, 46, size=n)
    need_by_s = created + lead_days * 86400
    today_s = now_s - now_s % 86400

    recent = age_days < 60
    statuses = np.array(["submitted", "acknowledged", "committed", "delivered", "accepted", "declined", "withdrawn",
                         "forecast"])
    p_recent = [0.12, 0.13, 0.35, 0.10, 0.22, 0.03, 0.02, 0.03]
    p_old = [0.003, 0.004, 0.01, 0.01, 0.88, 0.05, 0.043, 0.0]
    status_idx = np.where(recent, rng.choice(8, size=n, p=p_recent), rng.choice(8, size=n, p=p_old))
    # A forecast's expected date is still ahead.
    forecast = status_idx == 7
    need_by_s[forecast] = np.maximum(need_by_s[forecast], today_s + rng.integers(5, 60, size=forecast.sum()) * 86400)
    status = statuses[status_idx]
    is_ack = np.isin(status_idx, [1, 2, 3, 4])
    is_commit = np.isin(status_idx, [2, 3, 4])
    is_deliv = np.isin(status_idx, [3, 4])
    is_open = np.isin(status_idx, [0, 1, 2])
    ack_s = created + rng.integers(600, 3 * 86400, size=n)
    commit_s = ack_s + rng.integers(600, 2 * 86400, size=n)
    slip = rng.random(n) < 0.08
    committed_date_s = need_by_s + np.where(slip, rng.integers(1, 10, size=n) * 86400, 0)
    deliv_s = np.minimum(commit_s + rng.integers(86400, 30 * 86400, size=n), now_s - 60)
    deliv_s = np.maximum(deliv_s, commit_s + 60)
    accept_s = np.minimum(deliv_s + rng.integers(600, 5 * 86400, size=n), now_s - 30)
    accept_s = np.maximum(accept_s, deliv_s + 30)
    close_s = np.minimum(created + rng.integers(3600, 10 * 86400, size=n), now_s - 60)
    due_s = np.where(is_commit, committed_date_s, need_by_s)
    blocked = is_open & (rng.random(n) < 0.05)
    quality = rng.integers(2, 6, size=n)
    notice = np.maximum(0, (lead_days * 5) // 7 - 1)
    lead_time = 2 + service % 9
    short = notice < lead_time
    print(f"  generated {n:,} requests ({time.perf_counter() - t0:.1f} s)")

    def d(s):
        return datetime.fromtimestamp(int(s), UTC).date().isoformat()

    titles = ["Access to the staging cluster", "New VLAN for the lab", "Quarterly data extract", "Laptop refresh",
              "Review of the vendor contract", "Firewall rule for the partner API", "Capacity for the launch",
              "Translate the release notes", "Badge access for contractors", "Restore a deleted mailbox"]
    t0 = time.perf_counter()
    columns = ["id", "requester_id", "requester_team_id", "service_id", "provider_team_id", "provider_owner_id",
               "title", "context", "need_by", "date_kind", "options", "milestone", "status", "notice_business_days",
               "short_notice", "short_notice_owned", "probability", "confirm_by", "confirm_reminded_at",
               "committed_date", "due_date", "open_blockers", "slip_count", "rework_count", "quality",
               "decline_reason", "created_at", "updated_at", "submitted_at", "acknowledged_at", "committed_at",
               "delivered_at", "accepted_at", "declined_at", "withdrawn_at", "escalated_at"]

    def request_rows():
        for i in range(n):
            st = status[i]
            c = created[i]
            owner = int(provider_team[i] - 1) * TEAM_SIZE + 1 + (i % TEAM_SIZE) if is_ack[i] else None
            yield (i + 1, int(requester[i]), int(requester_team[i]), int(service[i]), int(provider_team[i]), owner,
                   f"{titles[i % len(titles)]} #{i + 1}",
                   "We need this for the quarter's launch; without it the team waits.", d(need_by_s[i]),
                   "hard" if i % 3 == 0 else "flexible", "any day that week" if i % 4 == 0 else "", "",
                   st, int(notice[i]), "t" if short[i] else "f", "We know it is short." if short[i] else "",
                   80 if forecast[i] else None, d(need_by_s[i] - 3 * 86400) if forecast[i] else None, None,
                   d(committed_date_s[i]) if is_commit[i] else None, d(due_s[i]), 1 if blocked[i] else 0,
                   1 if slip[i] and is_commit[i] else 0, 0, int(quality[i]) if st == "accepted" else None,
                   "No capacity this quarter." if st == "declined" else "", iso(c), iso(c),
                   None if forecast[i] else iso(c), iso(ack_s[i]) if is_ack[i] else None,
                   iso(commit_s[i]) if is_commit[i] else None, iso(deliv_s[i]) if is_deliv[i] else None,
                   iso(accept_s[i]) if st == "accepted" else None, iso(close_s[i]) if st == "declined" else None,
                   iso(close_s[i]) if st == "withdrawn" else None, None)

    copy(cursor, "requests_request", columns, request_rows())
    cursor.execute("SELECT setval(pg_get_serial_sequence('requests_request', 'id'), %s)", [n])
    print(f"  copied requests ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()

    def event_rows():
        for i in range(n):
            rid, pt, rt = i + 1, int(provider_team[i]), int(requester_team[i])
            owner = (pt - 1) * TEAM_SIZE + 1 + (i % TEAM_SIZE)
            st = status[i]
            yield (rid, "created", int(requester[i]), iso(created[i]), pt, rt,
                   f'{{"need_by": "{d(need_by_s[i])}", "notice_business_days": {int(notice[i])}}}')
            if is_ack[i]:
                yield rid, "acknowledged", owner, iso(ack_s[i]), pt, rt, "{}"
            if is_commit[i]:
                yield rid, "committed", owner, iso(commit_s[i]), pt, rt, f'{{"date": "{d(committed_date_s[i])}"}}'
            if is_deliv[i]:
                yield rid, "delivered", owner, iso(deliv_s[i]), pt, rt, "{}"
            if st == "accepted":
                yield rid, "accepted", int(requester[i]), iso(accept_s[i]), pt, rt, f'{{"quality": {quality[i]}}}'
            elif st == "declined":
                yield rid, "declined", owner, iso(close_s[i]), pt, rt, '{"reason": "No capacity this quarter."}'
            elif st == "withdrawn":
                yield rid, "withdrawn", int(requester[i]), iso(close_s[i]), pt, rt, "{}"

    events = copy(cursor, "requests_requestevent",
                  ["request_id", "kind", "actor_id", "at", "provider_team_id", "requester_team_id", "data"],
                  event_rows())
    print(f"  copied {events:,} events ({time.perf_counter() - t0:.1f} s)")


def build(args):
    from django.db import connection

    now = datetime.now(UTC)
    stamp = now.isoformat()
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("TRUNCATE org_person, org_team, requests_request, requests_requestevent, notify_notification "
                  "RESTART IDENTITY CASCADE")
        # Generated data is consistent by construction: skip the per-row foreign-key
        # triggers of the load (a deferred check per row and column), as pg_restore does.
        c.execute("SET session_replication_role = replica")
        build_directory(c.cursor, stamp)
        print(f"  directory: {TEAMS * TEAM_SIZE:,} people, {TEAMS:,} teams, {SERVICES:,} services "
              f"({time.perf_counter() - t0:.1f} s)")
        build_requests(c.cursor, args.requests, args.seed, now)
        c.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as c:  # as autovacuum would leave it: statistics and the visibility map
        t0 = time.perf_counter()
        c.execute("VACUUM ANALYZE")
        print(f"  vacuumed and analyzed ({time.perf_counter() - t0:.1f} s)")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def timed(label, func, renders):
    """Call func `renders` times (after one warm-up); print and return the times in ms."""
    func()
    times = []
    for _ in range(renders):
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"   {label:<44} median {statistics.median(times):6.1f}  p95 {pct(times, 0.95):6.1f}  "
          f"max {max(times):6.1f} ms")
    return times


def main():
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["LIAISON_HTTPS"] = "0"  # the test Client speaks plain HTTP
    os.environ.setdefault("LIAISON_DEBUG", "0")
    static_root = tempfile.mkdtemp(prefix="liaison_bench_static_")
    os.environ["LIAISON_STATIC_ROOT"] = static_root  # production static storage (manifest), collected below
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    import django

    django.setup()
    from _machine import print_machine
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from liaison.org.models import Person, Team
    from liaison.org.services import create_token
    from liaison.requests import services
    from liaison.requests.models import OPEN_STATUSES, Request, RequestEvent

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    print_machine()
    have = Request.objects.count()
    if args.rebuild or abs(have - args.requests) > args.requests * 0.05:
        print("Building the data set:")
        build(args)
    counts = dict(Request.objects.values_list("status").annotate(n=django.db.models.Count("id")))
    print(f"Data: {Request.objects.count():,} requests ({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))}), "
          f"{RequestEvent.objects.count():,} events, {Team.objects.count():,} teams, "
          f"{Person.objects.count():,} people")

    busiest = (Request.objects.filter(status__in=OPEN_STATUSES).values("provider_team")
               .annotate(n=django.db.models.Count("id")).order_by("-n").first())
    team = Team.objects.get(pk=busiest["provider_team"])
    member = Person.objects.filter(memberships__team=team).exclude(pk=team.lead_id).order_by("pk").first()
    total = Request.objects.filter(provider_team=team).count()
    now = timezone.now()
    print(f"Busiest provider team: {team.slug}: {total:,} requests, {busiest['n']:,} open; "
          f"buckets {services.inbox_counts(team, now=now)}; viewer {member.email} (member)")

    client = Client()
    client.force_login(member)
    url = f"/requests/inbox/{team.slug}/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert team.name.encode() in response.content

    print(f"\n1. The inbox page, {url} (whole Django stack, {args.renders} renders each):")
    summary = {}
    tabs = [("all", ""), ("new", "?show=new"), ("unacknowledged", "?show=unacknowledged"),
            ("due_soon", "?show=due_soon"), ("overdue", "?show=overdue"), ("blocked", "?show=blocked"),
            ("all, page 20", "?page=20")]
    for name, query in tabs:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url + query)
        assert response.status_code == 200, (name, response.status_code)
        summary[name] = timed(f"{name} ({len(captured)} queries, {len(response.content) // 1024} KiB)",
                              lambda q=query: client.get(url + q), args.renders)

    print("\n2. The API and the services alone:")
    _, key = create_token(member, "bench")
    api = Client(headers={"authorization": f"Bearer {key}"})
    response = api.get(f"/api/v1/requests/inbox?team={team.slug}")
    assert response.status_code == 200, response.content[:300]
    timed("GET /api/v1/requests/inbox (page 1)", lambda: api.get(f"/api/v1/requests/inbox?team={team.slug}"),
          args.renders)
    timed("team_inbox: first 25 rows", lambda: list(services.team_inbox(team, now=timezone.now())[:25]),
          args.renders)
    timed("inbox_counts", lambda: services.inbox_counts(team, now=timezone.now()), args.renders)
    timed("forecast_demand_by_week", lambda: services.forecast_demand_by_week(team, now=timezone.now()),
          args.renders)

    print("\n3. EXPLAIN ANALYZE of the page's queries on the request table:")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    with connection.cursor() as c:
        for q in captured.captured_queries:
            sql = q["sql"]
            if "requests_request" not in sql:
                continue
            c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in c.fetchall()]
            print(f"   -- {sql[:160]}{'...' if len(sql) > 160 else ''}")
            for line in plan:
                print(f"      {line}")

    page = summary["all"]
    worst = max(statistics.median(t) for t in summary.values())
    print(f"\nResult: the inbox page (all, page 1) median {statistics.median(page):.1f} ms, "
          f"p95 {pct(page, 0.95):.1f} ms; "
          f"slowest tab median {worst:.1f} ms; target < 200 ms: "
          f"{'MET' if pct(page, 0.95) < 200 else 'NOT MET'}")
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
