"""Agenda conflict detection at scale: 200,000 agenda items over 5,000 services.

    .venv/bin/python bench/agenda_conflicts.py            # SQLite and PostgreSQL
    .venv/bin/python bench/agenda_conflicts.py sqlite     # one of them
    BENCH_PG=postgres://postgres@127.0.0.1:5432/liaison_bench ...   # another database

Builds (bulk inserts) 5,000 services in a dependency graph five layers deep (each
service depends on two of the next layer), 160,000 planned changes and 40,000 customer
events over two years, and a few freeze windows; then measures
- the full scan (liaison.agenda.conflicts.full_scan): load every window, precompute
  closures, sweep, reconcile with the stored conflicts. First run (stores every conflict)
  and steady state (the periodic sweep's real cost). Target: under 5 s.
- the check after one change (conflicts.check_change), over 100 random changes.
  Target: under 50 ms.
Prints the figures and the machine. Not a test: run it by hand.
"""

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICES, LAYERS, CHANGES, EVENTS = 5_000, 5, 160_000, 40_000
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/liaison_bench"


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.node()} · {os.cpu_count()} CPU ({cpu}) · Python {platform.python_version()} · "
            f"{platform.system()} {platform.release()} · load average {load} (other work shares the machine)")


def setup(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LIAISON_HTTPS", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "liaison.settings"
    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(rng, now):
    from django.db import connection, transaction

    from liaison.agenda.models import Change, Event, FreezeWindow
    from liaison.org.models import Service, ServiceDependency, Team

    t0 = time.perf_counter()
    with transaction.atomic():
        teams = Team.objects.bulk_create([Team(name=f"Bench team {i}", slug=f"bench-team-{i}") for i in range(250)])
        per_layer = SERVICES // LAYERS
        services = Service.objects.bulk_create([
            Service(team=teams[i % len(teams)], name=f"Bench service {i}", slug=f"bench-service-{i}")
            for i in range(SERVICES)])
        ids = [s.pk for s in services]
        layers = [ids[k * per_layer:(k + 1) * per_layer] for k in range(LAYERS)]
        edges = []
        for k in range(LAYERS - 1):
            for sid in layers[k]:
                for dep in rng.sample(layers[k + 1], 2):
                    edges.append(ServiceDependency(service_id=sid, depends_on_id=dep))
        ServiceDependency.objects.bulk_create(edges, batch_size=5000)
        start0 = now - timedelta(days=365)
        span = 2 * 365 * 24 * 60  # minutes in two years
        changes = []
        for i in range(CHANGES):
            s = start0 + timedelta(minutes=rng.randrange(span))
            changes.append(Change(team=teams[i % len(teams)], title=f"Change {i}", start=s,
                                  end=s + timedelta(hours=rng.randint(1, 6)), status="published",
                                  risk=rng.choice(["low", "medium", "high"])))
        changes = Change.objects.bulk_create(changes, batch_size=5000)
        through = Change.services.through
        rows = []
        for c in changes:
            for sid in rng.sample(ids, rng.choice((1, 1, 2))):
                rows.append(through(change_id=c.pk, service_id=sid))
        through.objects.bulk_create(rows, batch_size=10000)
        events = []
        for i in range(EVENTS):
            s = start0 + timedelta(minutes=rng.randrange(span))
            buffer = rng.choice((0, 0, 4, 24, 48))
            events.append(Event(team=teams[(i * 7) % len(teams)], title=f"Event {i}", start=s,
                                end=s + timedelta(hours=rng.randint(1, 4)), buffer_hours=buffer,
                                guard_start=s - timedelta(hours=buffer),
                                criticality=rng.choice(["low", "medium", "high", "critical"])))
        events = Event.objects.bulk_create(events, batch_size=5000)
        through = Event.services.through
        rows = []
        for e in events:  # customers depend on the upper, customer-facing layers
            for sid in rng.sample(layers[0] + layers[1], rng.choice((1, 2))):
                rows.append(through(event_id=e.pk, service_id=sid))
        through.objects.bulk_create(rows, batch_size=10000)
        freezes = []
        for q in range(8):  # quarter closes, organisation-wide
            s = start0 + timedelta(days=91 * q + 88)
            freezes.append(FreezeWindow(title=f"Quarter close {q}", org_wide=True, start=s, end=s + timedelta(days=3)))
        FreezeWindow.objects.bulk_create(freezes)
    with connection.cursor() as cursor:  # as a long-running database would be: statistics, WAL folded in
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - t0, len(edges)


def run(label, database_url):
    setup(database_url)
    from django.db import connection

    from liaison.agenda import conflicts
    from liaison.agenda.models import Change, Conflict

    rng = random.Random(2)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    built, n_edges = build(rng, now)
    print(f"load average before measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    version = (connection.Database.sqlite_version if connection.vendor == "sqlite"
               else connection.cursor().connection.info.server_version)
    print(f"\n== {label}: {connection.vendor} {version}")
    print(f"built {SERVICES:,} services ({LAYERS} layers, {n_edges:,} dependencies), {CHANGES:,} changes, "
          f"{EVENTS:,} events, 8 org-wide freezes in {built:.1f} s")

    t0 = time.perf_counter()
    pairs, _stats = conflicts.scan_pairs()
    sweep_only = time.perf_counter() - t0
    print(f"load + join (scan_pairs):                {sweep_only:6.2f} s  → {len(pairs):,} conflicts")

    t0 = time.perf_counter()
    first = conflicts.full_scan(now, notify=False)
    print(f"full scan, first run (stores them all):  {time.perf_counter() - t0:6.2f} s  "
          f"(created {first['created']:,})")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        steady = conflicts.full_scan(now, notify=False)
        times.append(time.perf_counter() - t0)
    print(f"full scan, steady state (best of 3):     {min(times):6.2f} s  "
          f"(reconciled {steady['to_reconcile']:,}; target < 5 s)")
    assert Conflict.objects.count() == first["created"]

    ids = list(Change.objects.values_list("pk", flat=True))
    sample = Change.objects.select_related("team").in_bulk(rng.sample(ids, 100))
    durations = []
    for change in sample.values():
        t0 = time.perf_counter()
        conflicts.check_change(change, now)
        durations.append((time.perf_counter() - t0) * 1000)
    durations.sort()
    print(f"check after one change (100 changes):    mean {statistics.mean(durations):5.1f} ms, "
          f"p95 {durations[94]:5.1f} ms, max {durations[-1]:5.1f} ms (target < 50 ms)")
    sys.path.insert(0, str(ROOT / "bench"))
    from _machine import print_machine

    print_machine()
    sys.stdout.flush()


def main():
    which = sys.argv[1:] or ["sqlite", "postgres"]
    if "--child" not in sys.argv and not set(which) <= {"sqlite", "postgres"}:
        sys.exit("usage: bench/agenda_conflicts.py [sqlite] [postgres]   (both when none is named; "
                 "BENCH_PG=postgres://... names the PostgreSQL bench database)")
    if len(which) == 2 or "--child" not in sys.argv:
        print(f"machine: {machine()}")
    if "--child" in sys.argv:
        label, url = sys.argv[2], sys.argv[3]
        run(label, url)
        return
    for name in which:
        if name == "sqlite":
            tmp = tempfile.mkdtemp(prefix="liaison-bench-")
            url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            url = os.environ.get("BENCH_PG", PG_DEFAULT)
            base, dbname = url.rsplit("/", 1)
            subprocess.run(["psql", f"{base}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{dbname}"'], check=True)
            subprocess.run(["psql", f"{base}/postgres", "-qc", f'CREATE DATABASE "{dbname}"'], check=True)
        subprocess.run([sys.executable, __file__, "--child", name, url], check=True,
                       env={**os.environ, "LIAISON_DATA_DIR": tempfile.mkdtemp(prefix="liaison-bench-data-")})


if __name__ == "__main__":
    main()
