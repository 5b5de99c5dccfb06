"""Benchmark: the cold start of the web process — `liaison serve` started, to the first
statistics page answered (issue 15).

    .venv/bin/python bench/cold_start.py [--runs 3] [--before REF] [--database PATH]

The database is the small demo enterprise bench/mail_pipe.py builds (200 people, SQLite,
reused). Each run starts `python -m liaison.cli serve --workers 1` on a free port, and:

* "ready": when the server says it is — the worker's "ready: N modules preloaded" line
  (liaison/gunicorn_conf.py); code without that hook (--before) has only gunicorn's
  "Booting worker" line, printed before the application is even loaded;
* then asks, signed in as a member of the providing team (a session made beforehand, so no password
  hashing is timed), for the pair page of the busiest pair of teams (Kaplan-Meier times,
  intervals: lifelines and scipy), and once more (warm).

Printed per run: start → ready, ready → first pair page answered (the target: < 1 s),
start → first page, and the warm page. With --before REF the code of that git revision
(exported with `git archive`) runs too, alternating with this tree, on the same database.
"""

import argparse
import os
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mail_pipe import child_env, ensure_demo, export  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also run this git revision's code, alternating")
    parser.add_argument("--database", default="/tmp/liaison-bench-mail-pipe/db.sqlite3")
    return parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_and_page():
    """A signed-in session for a member of the busiest pair's providing team, and the pair page of the busiest pair."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from liaison.insights.models import RequestFact
    from liaison.org.models import Person, Team

    busiest = (RequestFact.objects.values("provider_team", "requester_team").annotate(n=Count("request_id"))
               .order_by("-n").first())
    if busiest is None:
        sys.exit("The demo database has no request facts; run `liaison worker` once or rebuild it.")
    # Pairs are private: a member of the providing team reads it (an org admin does not).
    admin = Person.objects.filter(memberships__team_id=busiest["provider_team"], is_active=True).order_by("pk").first()
    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = next(path for path in settings.AUTHENTICATION_BACKENDS  # not the throttle
                                        if hasattr(load_backend(path), "get_user"))
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    a = Team.objects.get(pk=busiest["provider_team"]).slug
    b = Team.objects.get(pk=busiest["requester_team"]).slug
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", f"/insights/pairs/{a}/{b}/", admin.email


def get(url, cookie):
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        assert response.status == 200 and b"<h1" in body, (response.status, url)
    return time.perf_counter() - started


def one_run(source, env, cookie, path):
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "liaison.cli", "serve", "--port", str(port), "--workers", "1"],
                              cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ready_at, lines, deadline = None, [], started + 300
        while ready_at is None and time.perf_counter() < deadline:
            if select.select([server.stderr], [], [], 0.5)[0]:
                line = server.stderr.readline()
                lines.append(line)
                if "ready:" in line or ("Booting worker" in line and "--before" in env.get("BENCH_VARIANT", "")):
                    ready_at = time.perf_counter()
            if server.poll() is not None:
                sys.exit("serve stopped:\n" + "".join(lines))
        if ready_at is None:
            sys.exit("serve never reported ready:\n" + "".join(lines))
        threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True).start()  # keep the log
        url = f"http://127.0.0.1:{port}{path}"
        while True:  # the listening socket may still be opening when the line is printed
            try:
                first = get(url, cookie)
                break
            except ConnectionRefusedError:
                time.sleep(0.02)
        answered = time.perf_counter()
        warm = get(url, cookie)
    except urllib.error.HTTPError:
        time.sleep(1)
        sys.exit("".join(lines[-40:]))
    else:
        return {"ready": ready_at - started, "after_ready": answered - ready_at, "total": answered - started,
                "first": first, "warm": warm}
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    args = parse_args()
    ensure_demo(args.database)
    os.environ.update({k: v for k, v in child_env(args.database).items() if k != "PYTHONPATH"})
    import django

    django.setup()
    from _machine import print_machine

    print_machine()
    cookie, path, who = session_and_page()
    variants = [("after (this tree)", ROOT, "")]
    if args.before:
        variants.insert(0, (f"before ({args.before})", export(args.before), "--before"))
    print(f"page: {path} as {who}\n")
    print(f"{'code':<24} {'start→ready':>12} {'ready→page':>11} {'start→page':>11} {'warm page':>10}  (seconds)")
    results = {label: [] for label, _, _ in variants}
    for _ in range(args.runs):
        for label, source, variant in variants:
            env = {**child_env(args.database), "BENCH_VARIANT": variant}
            r = one_run(source, env, cookie, path)
            results[label].append(r)
            print(f"{label:<24} {r['ready']:>12.2f} {r['after_ready']:>11.2f} {r['total']:>11.2f} {r['warm']:>10.2f}",
                  flush=True)
    print()
    for label, runs in results.items():
        print(f"{label:<24} median ready→page {statistics.median(r['after_ready'] for r in runs):.2f} s, "
              f"start→page {statistics.median(r['total'] for r in runs):.2f} s over {len(runs)} runs")


if __name__ == "__main__":
    main()
