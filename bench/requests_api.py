"""Benchmark: creating requests through the API (issue 3: at least 500 per second).

    .venv/bin/python bench/requests_api.py                 # gunicorn 2 workers x 4 threads, wrk 30 s
    .venv/bin/python bench/requests_api.py --threads 1     # 2 sync-like workers (one thread each)
    .venv/bin/python bench/requests_api.py --duration 10 --connections 8 \\
        --database-url postgres://postgres@127.0.0.1:5432/liaison_bench_requests

Needs wrk (a C load generator; Debian package `wrk`: `sudo apt-get install wrk`).

Uses the bench database of bench/requests_inbox.py (liaison_bench_requests, 1,000,000
requests) when it is there, so requests are created into full-size tables and indexes;
on an empty database it builds the same directory (2,000 teams of 10 people, 5,000
services, COPY) without requests. Then:

1. counts the SQL queries of one create, in process (Django test Client);
2. starts gunicorn (`--workers` 2, `--threads` 4: gthread workers; production settings:
   DEBUG off, persistent database connections) on 127.0.0.1 and waits for /healthz;
3. runs wrk with bench/requests_create.lua: POST /api/v1/requests with varied bodies
   (random requester token among --requesters people, random service, title, context,
   need-by 5-60 days ahead, hard or flexible; short notice owned when it is short),
   a warm-up of --warmup seconds (10) first, then --duration seconds measured;
4. prints requests/s, latency percentiles, status codes (non-2xx must be 0), the CPU the
   gunicorn workers used per create and a calibration (GET /healthz, a bare view, on the
   same server just before: ~3,400/s on an idle machine of this kind), then checks in the
   database that every request created has its "created" event and its notification rows,
   and that their number is the number of 201s.
Prints the machine and the load average before and after.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench_requests"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=30, help="seconds measured (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before the measured run")
    parser.add_argument("--requesters", type=int, default=500, help="people with a token, one team each")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    return parser.parse_args()


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout} s")


def cpu_seconds(pids):
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids():
    """The PostgreSQL server's processes on this machine (backends, WAL writer, checkpointer...)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def run_wrk(port, seconds, connections, threads, datafile):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
           str(BENCH / "requests_create.lua"), f"http://127.0.0.1:{port}", "--", datafile]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return cmd, out


def main():
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), then run again.")
    from requests_inbox import build_directory, ensure_database

    ensure_database(args.database_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "LIAISON_DEBUG": "0", "LIAISON_HTTPS": "0",
           "LIAISON_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "liaison.settings"}
    os.environ.update(env)
    import django

    django.setup()
    from _machine import print_machine
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Exists, Min, OuterRef
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from liaison.notify.models import Notification
    from liaison.org.models import ApiToken, Membership, Person, Service
    from liaison.org.services import create_token
    from liaison.requests.models import EventKind, Request, RequestEvent

    call_command("migrate", verbosity=0)
    print_machine()
    if not Person.objects.exists():
        print("Building the directory (no requests):")
        with connection.cursor() as c:
            c.execute("SET session_replication_role = replica")
            build_directory(c.cursor, timezone.now().isoformat())
            c.execute("SET session_replication_role = DEFAULT")
            c.execute("ANALYZE")
    print(f"Data: {Request.objects.count():,} requests, {RequestEvent.objects.count():,} events, "
          f"{Service.objects.count():,} services, {Person.objects.count():,} people")

    # Requesters: people in exactly one team (the bench directory: everyone), not leads.
    one_team = (Membership.objects.values("person").annotate(n=Count("team")).filter(n=1)
                .values_list("person", flat=True))
    people = list(Person.objects.filter(pk__in=one_team, is_active=True, led_teams__isnull=True)
                  .order_by("pk")[:: max(1, Person.objects.count() // (args.requesters * 2))][:args.requesters])
    ApiToken.objects.filter(name="bench requests_api").delete()
    keys = [create_token(p, "bench requests_api")[1] for p in people]
    services = list(Service.objects.values_list("slug", flat=True))
    workdir = tempfile.mkdtemp(prefix="liaison_bench_api_")
    datafile = os.path.join(workdir, "data.txt")
    with open(datafile, "w") as fh:
        fh.writelines(f"token {k}\n" for k in keys)
        fh.writelines(f"service {s}\n" for s in services)
    print(f"{len(keys)} requesters with a token, {len(services):,} services")

    # 1. Queries of one create, in process.
    client = Client(headers={"authorization": f"Bearer {keys[0]}"})
    body = {"service": services[0], "title": "Query count probe", "context": "Counting the queries of a create.",
            "need_by": (timezone.now() + timezone.timedelta(days=40)).date().isoformat(), "date_kind": "flexible"}
    client.post("/api/v1/requests", body, content_type="application/json")  # warm the per-process caches
    body["service"] = services[1]
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/requests", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    inserts = sum(q["sql"].count("INSERT INTO") for q in captured)
    print(f"\n1. One create (in process, caches warm): {len(captured)} SQL statements, {inserts} INSERTs:")
    for q in captured:
        print(f"     {q['sql'][:110]}")
    connection.close()

    # 2. gunicorn
    port = args.port or free_port()
    before_id = Request.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connection.close()
    gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "liaison.wsgi:application", "-b", f"127.0.0.1:{port}",
                "-w", str(args.workers), "--threads", str(args.threads),
                "-k", "gthread" if args.threads > 1 else "sync",
                "--backlog", "2048", "--log-level", "warning"]
    print(f"\n2. {' '.join(gunicorn[1:])}")
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        print(f"   load before: {load()}")
        run_wrk(port, args.warmup, args.connections, args.wrk_threads, datafile)  # connections, per-process caches
        print(f"   warm-up done, load: {load()}")
        # Calibration: a bare Django view (/healthz) on the same server, same moment. ARCHITECTURE.md
        # measured ~3,400/s on an idle machine of this kind: the ratio tells how much of the
        # machine this run got.
        healthz = subprocess.run(["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", "-d5s",
                                  f"http://127.0.0.1:{port}/healthz"], capture_output=True, text=True).stdout
        bare = float(re.search(r"Requests/sec:\s+([\d.]+)", healthz).group(1))
        print(f"   calibration: GET /healthz {bare:,.0f} requests/s (idle machine of this kind: ~3,400/s)")
        workers = children(server.pid)
        cpu_before, pg_before = cpu_seconds(workers), cpu_seconds(postgres_pids())
        wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmd, out = run_wrk(port, args.duration, args.connections, args.wrk_threads, datafile)
        cpu_used, pg_used = cpu_seconds(workers) - cpu_before, cpu_seconds(postgres_pids()) - pg_before
        wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_used = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
        print(f"   load after: {load()}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\n3. $ {' '.join(cmd)}")
    print("   " + out.strip().replace("\n", "\n   "))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    statuses = {int(code): int(n) for code, n in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    non2xx = sum(n for code, n in statuses.items() if not 200 <= code < 300)
    answered = sum(statuses.values())
    per = 1000 / max(answered, 1)
    print(f"\n   gunicorn workers used {cpu_used:.1f} s of CPU for {answered:,} requests: "
          f"{cpu_used * per:.2f} ms of CPU per create (Python side, whatever the load)")
    total = (cpu_used + pg_used + wrk_used) * per
    print(f"   CPU per create: gunicorn workers {cpu_used * per:.2f} ms + PostgreSQL {pg_used * per:.2f} ms "
          f"+ wrk {wrk_used * per:.2f} ms = {total:.2f} ms; {os.cpu_count()} cores give at most "
          f"{os.cpu_count() * 1000 / max(total, 1e-9):,.0f} creates/s at that cost")

    # 4. Verify in the database.
    new = Request.objects.filter(pk__gt=before_id)
    created = new.count()
    without_event = new.exclude(Exists(RequestEvent.objects.filter(request=OuterRef("pk"),
                                                                    kind=EventKind.CREATED))).count()
    # Notifications name their request in the dedupe key ("request:<id>:event:..."): read the
    # keys queued since the first new request once, rather than a LIKE per request.
    first_new = new.aggregate(first=Min("created_at"))["first"]  # not the lowest id's: ids follow INSERT order
    keys = Notification.objects.filter(kind="request.submitted", created_at__gte=first_new or timezone.now())
    noted = {int(key.split(":")[1]) for key in keys.values_list("dedupe_key", flat=True)}
    without_notification = sum(1 for pk in new.values_list("pk", flat=True).iterator() if pk not in noted)
    notifications = len(noted)
    print(f"\n4. Check: {created:,} requests created (warm-up included; 201s counted by wrk in the measured run: "
          f"{statuses.get(201, 0):,}); without a created event: {without_event}; without a notification: "
          f"{without_notification}; requests with their notification: {notifications:,}")
    ok = non2xx == 0 and without_event == 0 and without_notification == 0
    print(f"\nResult: {rate:,.0f} requests/s created, non-2xx {non2xx}; target >= 500/s: "
          f"{'MET' if rate >= 500 and ok else 'NOT MET'}")
    print(f"load at the end: {load()}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
