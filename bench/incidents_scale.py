"""Benchmark: patterns, a department dashboard and a business case PDF at enterprise scale (issue 12).

    .venv/bin/python bench/incidents_scale.py            # builds once (liaison_insights_incidents_bench), measures
    .venv/bin/python bench/incidents_scale.py --rebuild  # start the data over
    .venv/bin/python bench/incidents_scale.py --renders 5 --people 5000 --changes 20000 --incidents 2000 \\
        --database-url postgres://postgres@127.0.0.1:5432/liaison_insights_incidents_bench_small   # a quick run

Five years of an enterprise of 50,000 people, built with COPY into its own PostgreSQL
database: 5,000 teams of 10 in 10 divisions of 5,000 people (division -> 20 departments
-> ~25 teams; every person's manager is their team lead, a team lead's is the
department lead, a department lead's the division head); every fifth team is a service
team with one service. 200,000 changes over five years (Zipf-popular service teams,
notice in business days drawn so that about a third are short), 20,000 incidents (each
from a change, colliding with an event of a customer team: the conflict, 1-5 affected
teams), 200,000 impact entries in the six units, an alliance on the measured incident,
and 500,000 RequestFact rows over the last two years for relationship health (each
customer team asks its 6 favourite service teams, 5 of them in its own division).

Measures through the whole Django stack (test Client, middleware, view, template):
  1. GET /insights/patterns/ as an org admin (the enterprise-wide ranking: every service
     team, every change and incident), and as a division head;
  2. GET /insights/dashboard/ as the head of a 5,000-person division;
  3. GET /insights/incidents/<id>/business-case.pdf (WeasyPrint) for a recent incident of
     that division's busiest service team.
Prints median and p95 of `--renders` renders each. Targets: ranking and dashboard under
500 ms (median), the PDF under 2 s.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _pg import copy, ensure_database, iso

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_insights_incidents_bench"
TEAM_SIZE, DIVISIONS, DEPARTMENTS = 10, 10, 20
UNITS = ["labour_hours", "delay_days", "customers_affected", "events_disrupted", "money", "other"]
KINDS = ["change_collision", "outage", "degradation", "missed_commitment", "other"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--impacts-per-incident", type=int, default=10)
    parser.add_argument("--facts", type=int, default=500_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--renders", type=int, default=9)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--facts-only", action="store_true", help="reload only the request facts")
    return parser.parse_args()


class Org:
    """The shape of the enterprise: ids are computed, nothing is looked up."""

    def __init__(self, people):
        self.people = people
        self.teams = people // TEAM_SIZE
        self.per_division = self.teams // DIVISIONS
        self.per_department = max(1, self.per_division // DEPARTMENTS)

    def lead(self, team):
        return (team - 1) * TEAM_SIZE + 1

    def division_root(self, team):
        return ((team - 1) // self.per_division) * self.per_division + 1

    def parent(self, team):
        offset = (team - 1) % self.per_division
        root = self.division_root(team)
        if offset == 0:
            return None
        department = (offset - 1) // self.per_department
        head = root + 1 + department * self.per_department
        return root if team == head else head

    def is_service(self, team):
        return team % 5 == 0


def build_directory(cursor, org, stamp):
    def manager(person):
        team = (person - 1) // TEAM_SIZE + 1
        if person != org.lead(team):
            return org.lead(team)
        parent = org.parent(team)
        return org.lead(parent) if parent else None

    copy(cursor, "org_person", ["id", "password", "is_superuser", "email", "name", "title", "site", "time_zone",
                                "manager_id", "is_active", "is_staff", "date_joined"],
         ((i, "!", "f", f"p{i}@bench.example", f"Person {i}", "Engineer", "HQ", "UTC", manager(i), "t",
           "t" if i == 1 else "f", stamp) for i in range(1, org.people + 1)))
    copy(cursor, "org_team", ["id", "name", "slug", "description", "parent_id", "lead_id", "site", "created_at",
                              "updated_at"],
         ((t, f"Team {t}", f"team-{t}", "", org.parent(t), org.lead(t), "", stamp, stamp)
          for t in range(1, org.teams + 1)))
    copy(cursor, "org_membership", ["person_id", "team_id", "joined_at"],
         ((i, (i - 1) // TEAM_SIZE + 1, stamp) for i in range(1, org.people + 1)))
    services = [t for t in range(1, org.teams + 1) if org.is_service(t)]
    copy(cursor, "org_service", ["id", "team_id", "name", "slug", "description", "lead_time_days", "time_zone",
                                 "hours_start", "hours_end", "working_days", "intake_expectations", "created_at",
                                 "updated_at"],
         ((t // 5, t, f"Service {t}", f"service-{t}", "", 5, "UTC", "09:00", "17:00", "12345", "", stamp, stamp)
          for t in services))
    for table in ("org_person", "org_team", "org_service"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return services


def build_agenda_and_incidents(cursor, org, services, args, now):
    import uuid

    import numpy as np

    rng = np.random.default_rng(args.seed)
    now_s, five_years = int(now.timestamp()), 5 * 365 * 86400
    weight = 1.0 / np.arange(1, len(services) + 1) ** 0.8
    weight = rng.permutation(weight / weight.sum())
    n = args.changes
    change_team = np.array(services)[rng.choice(len(services), size=n, p=weight)]
    change_start = now_s - (rng.random(n) * five_years).astype(np.int64) + 30 * 86400
    notice = rng.geometric(1 / 12, size=n) - 1
    t0 = time.perf_counter()
    copy(cursor, "agenda_change", ["id", "title", "description", "start", "\"end\"", "time_zone", "confidential", "uid",
                                   "sequence", "created_at", "updated_at", "team_id", "risk", "rollback_plan",
                                   "status", "announced_at", "notice_from", "notice_days"],
         ((i + 1, f"Change {i + 1}", "", iso(change_start[i]), iso(change_start[i] + 7200), "UTC",
           "t" if i % 20 == 0 else "f", str(uuid.UUID(int=i + 1)), 0, iso(change_start[i] - 86400 * 30),
           iso(change_start[i]), int(change_team[i]), "medium", "",
           "done" if change_start[i] < now_s else "published", iso(change_start[i] - int(notice[i]) * 86400 * 7 // 5),
           iso(change_start[i] - int(notice[i]) * 86400 * 7 // 5), int(notice[i])) for i in range(n)))
    print(f"  {n:,} changes ({time.perf_counter() - t0:.1f} s)")

    m = args.incidents
    t0 = time.perf_counter()
    # each incident comes from a distinct non-confidential change in the past
    candidates = np.flatnonzero((change_start < now_s - 86400) & (np.arange(n) % 20 != 0))
    source = np.sort(rng.choice(candidates, size=m, replace=False))
    service_team = change_team[source]
    opened = change_start[source] + 3600
    all_teams = np.arange(1, org.teams + 1)
    affected_n = rng.integers(1, 6, size=m)
    # affected teams: mostly in the service team's division (the dependency graph is local), some outside
    same_division = rng.random((m, 5)) < 0.7
    local = (np.array([org.division_root(int(t)) for t in service_team])[:, None]
             + rng.integers(0, org.per_division, size=(m, 5)))
    anywhere = rng.choice(all_teams, size=(m, 5))
    affected = np.where(same_division, local, anywhere)
    status = np.where(now_s - opened < 30 * 86400, rng.choice(["open", "stable"], size=m), "closed")
    creators = [org.lead(int(affected[i, 0])) for i in range(m)]
    copy(cursor, "agenda_event", ["id", "title", "description", "start", "\"end\"", "time_zone", "confidential", "uid",
                                  "sequence", "created_at", "updated_at", "team_id", "criticality", "audience",
                                  "buffer_hours", "guard_start", "status"],
         ((i + 1, f"Event {i + 1}", "", iso(opened[i]), iso(opened[i] + 10800), "UTC", "f",
           str(uuid.UUID(int=10**9 + i)), 0, iso(opened[i] - 86400 * 40), iso(opened[i] - 86400 * 40),
           int(affected[i, 0]), "high", "", 0, iso(opened[i]), "scheduled") for i in range(m)))
    copy(cursor, "agenda_conflict", ["id", "kind", "change_id", "event_id", "status", "resolution", "mitigation_plan",
                                     "score", "severity", "path", "reason", "overlap_start", "overlap_end",
                                     "detected_at"],
         ((i + 1, "event", int(source[i]) + 1, i + 1, "resolved", "risk_accepted", "", 12, "high", "[]",
           "the change touches what the event depends on", iso(opened[i]), iso(opened[i] + 3600),
           iso(opened[i] - 86400)) for i in range(m)))
    copy(cursor, "incidents_incident", ["id", "title", "summary", "kind", "status", "severity", "opened_at",
                                        "opened_by_id", "stable_at", "closed_at", "updated_at", "service_team_id",
                                        "conflict_id", "causes", "contributing_factors"],
         ((i + 1, f"Incident {i + 1}", "", KINDS[i % 3 if i % 10 else 3], str(status[i]),
           ["low", "medium", "high", "critical"][i % 4], iso(opened[i]), creators[i],
           None, iso(opened[i] + 86400 * 20) if status[i] == "closed" else None, iso(opened[i]),
           int(service_team[i]), i + 1, "", "") for i in range(m)))
    copy(cursor, "incidents_incident_changes", ["incident_id", "change_id"],
         ((i + 1, int(source[i]) + 1) for i in range(m)))
    copy(cursor, "incidents_incident_events", ["incident_id", "event_id"], ((i + 1, i + 1) for i in range(m)))
    links = []
    for i in range(m):
        teams = {int(service_team[i])}
        links.append((i + 1, int(service_team[i]), "service", iso(opened[i])))
        for t in affected[i, :affected_n[i]]:
            if int(t) not in teams:
                teams.add(int(t))
                links.append((i + 1, int(t), "affected", iso(opened[i])))
    copy(cursor, "incidents_incidentteam", ["incident_id", "team_id", "role", "joined_at"], links)
    print(f"  {m:,} incidents, events and conflicts, {len(links):,} team links ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    k = args.impacts_per_incident
    unit = rng.choice(len(UNITS), size=(m, k), p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])
    amount = np.round(rng.gamma(2.0, 6.0, size=(m, k)), 1)

    def impacts():
        for i in range(m):
            reporters = affected[i, :affected_n[i]]
            for j in range(k):
                u = UNITS[unit[i, j]]
                team = int(reporters[j % len(reporters)])
                yield (i + 1, team, org.lead(team), iso(opened[i] + 3600 * j), iso(opened[i] + 3600 * j),
                       "What happened", u, "EUR" if u == "money" else "tickets" if u == "other" else "",
                       f"{amount[i, j]:.1f}")

    count = copy(cursor, "incidents_impact", ["incident_id", "team_id", "logged_by_id", "occurred_at", "logged_at",
                                              "what_happened", "unit", "unit_label", "amount"], impacts())
    print(f"  {count:,} impacts ({time.perf_counter() - t0:.1f} s)")
    for table in ("agenda_change", "agenda_event", "agenda_conflict", "incidents_incident"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def rebuild_facts_only(args, now):
    """--facts-only: reload RequestFact alone (the rest of the data stays)."""
    from django.db import connection

    org = Org(args.people)
    with connection.cursor() as c:
        c.execute("TRUNCATE insights_requestfact")
        services = [t for t in range(1, org.teams + 1) if org.is_service(t)]
        build_facts(c.cursor, org, services, args, now)
        c.execute("ANALYZE insights_requestfact")


def build_facts(cursor, org, services, args, now):
    """RequestFact rows straight (its request_id carries no foreign key): what relationship health reads."""
    import numpy as np

    rng = np.random.default_rng(args.seed + 1)
    n, now_s = args.facts, int(now.timestamp())
    t0 = time.perf_counter()
    requester_team = rng.integers(1, org.teams + 1, size=n)
    # each customer team asks its 6 favourite service teams: 5 in its own division, 1 anywhere
    per_div_services = org.per_division // 5
    roots = np.array([org.division_root(t) for t in range(1, org.teams + 1)])
    favourites = roots[:, None] - 1 + 5 * rng.integers(1, per_div_services + 1, size=(org.teams, 6))
    favourites[:, 5] = np.array(services)[rng.integers(0, len(services), size=org.teams)]
    pick = rng.choice(6, size=n, p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])
    provider = favourites[requester_team - 1, pick]
    submitted = now_s - (rng.random(n) * 730 * 86400).astype(np.int64)
    ack = submitted + rng.integers(600, 4 * 86400, size=n)
    delivered = ack + rng.integers(86400, 20 * 86400, size=n)
    is_open = delivered > now_s
    on_time = rng.random(n) < 0.8
    stamp = now.isoformat()

    def rows():
        for i in range(n):
            month = iso(submitted[i])[:7] + "-01"
            team = int(requester_team[i])
            yield (i + 1, int(provider[i]), team, int(provider[i]) // 5, org.lead(team), month,
                   "delivered" if not is_open[i] else "committed", int(submitted[i]), int(ack[i]), int(ack[i]),
                   None if is_open[i] else int(delivered[i]), None, "f", "f" if is_open[i] else "t", "t",
                   None if is_open[i] else ("t" if on_time[i] else "f"), 0, 0, 4 if not is_open[i] else None, 0,
                   "t" if is_open[i] else "f", 5, 5, "t" if i % 4 == 0 else "f", "t", "f", "f", 0, 0, 0, stamp)

    copy(cursor, "insights_requestfact",
         ["request_id", "provider_team_id", "requester_team_id", "service_id", "requester_id", "month", "status",
          "submitted_s", "acknowledged_s", "committed_s", "delivered_s", "stopped_s", "declined", "delivered",
          "committed", "on_time", "slips", "rework", "quality", "open_blockers", "is_open", "notice_days",
          "lead_time_days", "short_notice", "context_and_options", "forecast", "forecast_confirmed", "thanks",
          "escalations_warned", "escalations_unwarned", "refreshed_at"], rows())
    print(f"  {n:,} request facts ({time.perf_counter() - t0:.1f} s)")


def build(args, now):
    from django.db import connection

    org = Org(args.people)
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("TRUNCATE org_person, org_team, agenda_change, agenda_event, incidents_incident, "
                  "insights_requestfact RESTART IDENTITY CASCADE")
        c.execute("SET session_replication_role = replica")  # consistent by construction: skip FK triggers
        services = build_directory(c.cursor, org, now.isoformat())
        print(f"  {org.people:,} people, {org.teams:,} teams, {len(services):,} services "
              f"({time.perf_counter() - t0:.1f} s)")
        build_agenda_and_incidents(c.cursor, org, services, args, now)
        build_facts(c.cursor, org, services, args, now)
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE")
    print(f"  built in {time.perf_counter() - t0:.1f} s")


def timed(client, url, renders, status=200):
    from django.db import connection, reset_queries

    client.get(url)  # warm: imports, template compilation
    times, cpu = [], []
    for _ in range(renders):
        reset_queries()
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert response.status_code == status, (url, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    sql = sum(float(q["time"]) for q in connection.queries)
    return {"median": statistics.median(times), "p95": p95, "queries": len(connection.queries),
            "cpu": statistics.median(cpu), "sql": sql, "response": response}


def report(label, f, target):
    """Wall time (median, p95), then this process's CPU time and the last render's SQL wall time:
    on a shared machine the wall time waits for the CPU; the CPU time says what the work costs."""
    verdict = "ok" if f["median"] < target else "OVER TARGET"
    print(f"  {label:<62} median {f['median'] * 1000:6.0f} ms  p95 {f['p95'] * 1000:6.0f} ms  "
          f"(python CPU {f['cpu'] * 1000:5.0f} ms, SQL {f['sql'] * 1000:5.0f} ms, {f['queries']:2d} queries)  "
          f"target {target * 1000:.0f} ms: {verdict}")


def add_alliance(incident, now):
    from liaison.incidents.models import Alliance, AllianceMember

    if incident.alliances.exists():
        return
    teams = [link.team for link in incident.team_links.filter(role="affected").select_related("team")]
    alliance = Alliance.objects.create(incident=incident, service_team=incident.service_team, ask_kind="notice_policy",
                                       ask_text="Ten business days' notice for every change.",
                                       created_by_team=teams[0], created_by_id=teams[0].lead_id, created_at=now)
    for team in teams:
        AllianceMember.objects.create(alliance=alliance, team=team, invited_at=now, joined_at=now, signed_at=now)


def measure(args, now):
    import io

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment
    from pypdf import PdfReader

    from liaison.incidents.models import Impact, Incident
    from liaison.insights.dashboards import viewer_scope
    from liaison.org.models import Person, Team

    setup_test_environment()
    settings.DEBUG = True  # record queries
    org = Org(Person.objects.count())
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM agenda_change")
        changes = c.fetchone()[0]
    print(f"Data: {org.people:,} people, {org.teams:,} teams, {changes:,} changes, {Incident.objects.count():,} "
          f"incidents, {Impact.objects.count():,} impacts.\n")

    def client_for(person):
        client = Client()
        client.force_login(person)
        return client

    admin = Person.objects.get(pk=1)  # is_staff: the org admin sees the whole enterprise
    division = Team.objects.get(pk=org.division_root(org.per_division + 1))  # the second division
    head = Person.objects.get(pk=division.lead_id)
    scope = viewer_scope(head)
    people = Person.objects.filter(memberships__team_id__in=scope).distinct().count()
    report("pattern ranking, org admin (whole enterprise)",
           timed(client_for(admin), "/insights/patterns/", args.renders), 0.5)
    report("pattern ranking by hours of labour, org admin",
           timed(client_for(admin), "/insights/patterns/?by=labour_hours", args.renders), 0.5)
    report(f"pattern ranking, division head ({people:,} people in scope)",
           timed(client_for(head), "/insights/patterns/", args.renders), 0.5)
    report(f"department dashboard, division head ({len(scope):,} teams, {people:,} people)",
           timed(client_for(head), "/insights/dashboard/", args.renders), 0.5)

    busiest = (Incident.objects.filter(service_team_id__in=scope).values("service_team_id")
               .annotate(n=Count("pk")).order_by("-n")[0])
    incident = (Incident.objects.filter(service_team_id=busiest["service_team_id"], opened_at__lte=now)
                .order_by("-opened_at").first())
    add_alliance(incident, now)
    pdf = timed(client_for(head), f"/insights/incidents/{incident.pk}/business-case.pdf", args.renders)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf["response"].content)).pages)
    assert f"Business case: {incident.title}" in text and "What the numbers do not show" in text
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM agenda_change WHERE team_id = %s", [busiest["service_team_id"]])
        history = c.fetchone()[0]
    report(f"business case PDF ({history:,} changes of its service team, {len(pdf['response'].content) // 1024} KiB)",
           pdf, 2.0)


def main():
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from liaison.incidents.models import Incident

    call_command("migrate", verbosity=0)
    now = timezone.now()
    print(f"Benchmark: patterns, department dashboard, business case PDF; {args.database_url}")
    if args.facts_only:
        rebuild_facts_only(args, now)
    elif args.rebuild or Incident.objects.count() < args.incidents * 0.99:
        print("Building:")
        build(args, now)
    print()
    measure(args, now)
    from _machine import print_machine

    print()
    print_machine()


if __name__ == "__main__":
    main()
