"""Benchmark: the MTA pipe door as a mail server runs it — a fresh `liaison mail ingest`
process per delivered message (issue 15).

    .venv/bin/python bench/mail_pipe.py [--messages 40] [--parallel 4]
                                        [--before REF] [--rounds 2] [--database PATH]

The database is a small demo enterprise (`liaison demo --people 200`) in a SQLite file,
built on the first run and reused (--database, default /tmp/liaison-bench-mail-pipe/).
Each message is a real request mail: from a person of the directory (a different sender
for each message, so the per-sender rate limit never bites), to a service's intake
address, with a unique Message-ID, a "Need by:" line and a signature. Every process is
`python -m liaison.cli mail ingest --from SENDER` (what the `liaison` console script
runs), with the message on stdin, as Postfix's pipe(8) does.

Two modes, --messages each: one process after the other, and --parallel deliveries at a
time (Postfix's default concurrency for a transport is higher; 4 is the issue's target).
Printed: median and p95 wall time per message, messages/s, the largest peak RSS of a
process, the median CPU time (user + system) of a process — the figure a loaded shared
machine does not inflate — and the exit codes. Afterwards every message must be in the inbound log as a
filed request (disposition "request"), or the run fails.

--before REF also runs the code of a git revision (exported with `git archive` to a
temporary directory; or a directory holding a `liaison/` tree) on the same database,
alternating with the working tree for --rounds rounds, so both see the same load on a shared machine.
"""

import argparse
import os
import resource  # noqa: F401 - Linux: ru_maxrss of children is in KiB
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MAIL_DOMAIN = "liaison.example"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=40, help="messages per mode (sequential, parallel)")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", metavar="REF", help="also run this git revision's code, alternating")
    parser.add_argument("--database", default="/tmp/liaison-bench-mail-pipe/db.sqlite3")
    return parser.parse_args()


def child_env(database):
    return {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "liaison.settings",
            "LIAISON_DATA_DIR": str(Path(database).parent), "LIAISON_MAIL_DOMAIN": MAIL_DOMAIN,
            "LIAISON_HTTPS": "0", "PYTHONPATH": ""}


def ensure_demo(database):
    path = Path(database)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Building the demo database in {path} (once) ...", flush=True)
    env = child_env(database)
    for command in (["migrate", "-v0"], ["demo", "--people", "200"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def senders_and_intakes():
    from liaison.org.models import Membership, Service

    senders = list(Membership.objects.filter(person__is_active=True).values_list("person__email", flat=True)
                   .distinct().order_by("person__email"))
    intakes = [f"{slug}@{MAIL_DOMAIN}" for slug in Service.objects.order_by("slug").values_list("slug", flat=True)]
    return senders, intakes


def build_messages(n, senders, intakes, offset):
    messages = []
    for i in range(n):
        sender = senders[(offset + i) % len(senders)]
        message_id = f"<pipe-{uuid.uuid4().hex}@corp.example>"
        body = (f"Hello,\r\n\r\nCould you set up access for the new starters in squad {i}?\r\n"
                f"Need by: 2031-03-{1 + i % 28:02d}\r\n\r\n-- \r\nSent from the bench\r\n")
        raw = (f"From: Bench Sender <{sender}>\r\nTo: {intakes[(offset + i) % len(intakes)]}\r\n"
               f"Subject: Access for squad {i}\r\nMessage-ID: {message_id}\r\n"
               f"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()
        messages.append((sender, message_id, raw))
    return messages


def deliver(source, env, sender, raw):
    """One MTA delivery: a fresh process, the message on stdin.
    Returns (seconds, exit code, peak RSS KiB, CPU seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "liaison.cli", "mail", "ingest", "--from", sender],
                               cwd=source, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    process.stdin.write(raw)
    process.stdin.close()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        print(f"  exit {process.returncode}: {err.decode(errors='replace').strip()[-300:]}", file=sys.stderr)
    return seconds, process.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def run_mode(source, env, messages, parallel):
    started = time.perf_counter()
    if parallel == 1:
        results = [deliver(source, env, s, raw) for s, _, raw in messages]
    else:
        with ThreadPoolExecutor(parallel) as pool:
            results = list(pool.map(lambda m: deliver(source, env, m[0], m[2]), messages))
    elapsed = time.perf_counter() - started
    walls = sorted(r[0] for r in results)
    return {
        "median": statistics.median(walls),
        "p95": walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))],
        "rate": len(messages) / elapsed,
        "rss": max(r[2] for r in results) / 1024,
        "cpu": statistics.median(r[3] for r in results),
        "codes": {code: sum(1 for r in results if r[1] == code) for code in {r[1] for r in results}},
    }


def check_filed(messages):
    from django.db import close_old_connections

    from liaison.mail.models import InboundMessage

    close_old_connections()
    ids = [m[1].strip("<>") for m in messages]  # stored without the angle brackets
    found = dict(InboundMessage.objects.filter(message_id__in=ids).values_list("message_id", "disposition"))
    missing = [i for i in ids if i not in found]
    wrong = {i: d for i, d in found.items() if d != "request"}
    return missing, wrong


def export(ref):
    """A directory holding `liaison/` (used as is), or a git revision exported to a temporary one."""
    if Path(ref).is_dir():
        return Path(ref)
    target = Path(tempfile.mkdtemp(prefix="liaison-before-"))
    archive = subprocess.run(["git", "archive", ref, "liaison", "manage.py"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main():
    args = parse_args()
    ensure_demo(args.database)
    os.environ.update({k: v for k, v in child_env(args.database).items() if k != "PYTHONPATH"})
    import django

    django.setup()
    from _machine import print_machine

    print_machine()
    senders, intakes = senders_and_intakes()
    variants = [("after (this tree)", ROOT)]
    if args.before:
        variants.insert(0, (f"before ({args.before})", export(args.before)))
    env = child_env(args.database)
    print(f"{len(senders)} senders, {len(intakes)} intake addresses; {args.messages} messages per mode\n")
    print(f"{'code':<24} {'mode':<12} {'median ms':>10} {'p95 ms':>8} {'msg/s':>7} {'peak RSS MiB':>13} "
          f"{'CPU ms':>7}  exits")
    offset, failures, lock = 0, 0, threading.Lock()
    for _ in range(args.rounds):
        for label, source in variants:
            for mode, parallel in (("sequential", 1), (f"{args.parallel} parallel", args.parallel)):
                with lock:
                    messages = build_messages(args.messages, senders, intakes, offset)
                    offset += args.messages
                figures = run_mode(source, env, messages, parallel)
                missing, wrong = check_filed(messages)
                failures += len(missing) + len(wrong)
                print(f"{label:<24} {mode:<12} {figures['median'] * 1000:>10.0f} {figures['p95'] * 1000:>8.0f} "
                      f"{figures['rate']:>7.1f} {figures['rss']:>13.0f} {figures['cpu'] * 1000:>7.0f}  "
                      f"{figures['codes']}"
                      + (f"  MISSING {len(missing)} NOT FILED {wrong}" if missing or wrong else ""), flush=True)
    if failures:
        sys.exit(f"{failures} messages were not filed as requests")
    print("\nEvery message was filed as a request.")


if __name__ == "__main__":
    main()
