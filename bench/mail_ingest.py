"""Benchmark: the mail ingest in one process, threading and loop checks included.

    .venv/bin/python bench/mail_ingest.py [--messages 10000] [--batch 200]
                                          [--database-url postgres://user@host:5432/any]

The load: --messages pre-built RFC 5322 messages (building them is not timed) from 2,000
known people in 100 customer teams to 20 services:
  50 % new requests (plain text, a "Need by:" line in half of them, a signature),
  20 % new requests as HTML-only mail (converted to safe text),
  25 % replies to an earlier message of the run (In-Reply-To/References, quoted history
       and a signature to trim) → comments,
   3 % automatic mail (Auto-Submitted / Precedence / X-Loop) → recorded, ignored,
   2 % unknown senders → triage.
Every message goes through the whole ingest: duplicate check, loop checks, the per-sender
rate and confirmation-window query, threading, person/service lookup, the request or
comment with its event and notification rows, a confirmation notification, the log row.
Batches of --batch messages share one transaction (a savepoint per message) and one
lookup cache; the per-sender rate limit is raised for the run (2,000 senders send ~5
messages each; the default of 30 an hour would not bite anyway, but the run's clock moves
only one second per message). The database is fresh: SQLite in a temporary directory, or
a scratch database created on the given PostgreSQL server and dropped afterwards.
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import print_machine


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on (a scratch database is created)")
    return parser.parse_args()


def scratch_postgres(url):
    import psycopg

    name = f"liaison_bench_mail_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}")), drop


def build_org(people=2000, teams=100, services=20):
    from liaison.org.models import Membership, Person, Service, Team

    Person.objects.bulk_create([Person(email=f"lead{i}@corp.example", name=f"Lead {i}")
                                        for i in range(services)])
    leads = list(Person.objects.filter(email__startswith="lead").order_by("id"))
    provider_teams = [Team(name=f"Provider {i}", slug=f"provider-{i}", lead=leads[i]) for i in range(services)]
    customer_teams = [Team(name=f"Customer {i}", slug=f"customer-{i}") for i in range(teams)]
    Team.objects.bulk_create(provider_teams + customer_teams)
    Person.objects.bulk_create([Person(email=f"person{i}@corp.example", name=f"Person {i}") for i in range(people)])
    persons = list(Person.objects.filter(email__startswith="person").order_by("id"))
    Membership.objects.bulk_create(
        [Membership(person=p, team=customer_teams[i % teams]) for i, p in enumerate(persons)]
        + [Membership(person=lead, team=t) for lead, t in zip(leads, provider_teams, strict=True)])
    Service.objects.bulk_create([Service(team=t, name=f"Service {i}", slug=f"service-{i}", lead_time_days=5)
                                 for i, t in enumerate(provider_teams)])
    return [p.email for p in persons], [f"service-{i}@liaison.example" for i in range(services)]


def build_messages(n, senders, intakes, rng):
    out, kinds, originals = [], [], []
    for i in range(n):
        r = rng.random()
        msg = EmailMessage()
        sender = rng.choice(senders)
        msg["From"] = f"Someone <{sender}>"
        msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
        msg["Message-ID"] = f"<bench{i}.{rng.getrandbits(32)}@corp.example>"
        if r < 0.25 and originals:
            kind = "reply"
            parent_id, parent_sender, parent_to, subject = rng.choice(originals)
            msg.replace_header("From", f"Someone <{parent_sender}>")
            msg["To"] = parent_to
            msg["Subject"] = f"Re: {subject}"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            msg.set_content(f"Thanks, one more detail: item {i}.\n\n-- \nSomeone\n\n"
                            f"On Mon, 2 Mar 2026, Someone wrote:\n> {subject}\n> more quoted text\n")
        elif r < 0.28:
            kind = "auto"
            msg["To"] = rng.choice(intakes)
            msg["Subject"] = "Out of office"
            header, value = rng.choice([("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"),
                                        ("X-Loop", "liaison@liaison.example")])
            msg[header] = value
            msg.set_content("I am away.")
        elif r < 0.30:
            kind = "unknown"
            msg.replace_header("From", f"stranger{i}@else.example")
            msg["To"] = rng.choice(intakes)
            msg["Subject"] = f"Question {i}"
            msg.set_content("Who do I ask?")
        else:
            to = rng.choice(intakes)
            msg["To"] = to
            subject = f"Request {i}: capacity for the {rng.choice(['Q3', 'Q4'])} launch"
            msg["Subject"] = subject
            need = "\nNeed by: 2026-06-15" if rng.random() < 0.5 else ""
            if r < 0.50:
                kind = "html"
                msg.set_content(f"<html><body><p>Please help with <b>item {i}</b>.</p>"
                                f"<script>alert(1)</script><p>It matters for the launch.</p></body></html>",
                                subtype="html")
            else:
                kind = "new"
                msg.set_content(f"Please help with item {i}. It matters for the launch.{need}\n\n-- \nSomeone\n")
            originals.append((msg["Message-ID"], sender, to, subject))
        out.append(msg.as_bytes())
        kinds.append(kind)
    return out, Counter(kinds)


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LIAISON_DATA_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
        os.environ["LIAISON_MAIL_SENDER_RATE"] = "1000000"
        if args.database_url:
            os.environ["DATABASE_URL"], drop = scratch_postgres(args.database_url)
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["LIAISON_MEDIA_ROOT"] = str(Path(tmp) / "media")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        try:
            run(args, rng)
        finally:
            if drop:
                drop()


def run(args, rng):
    import datetime as dt

    from liaison.mail import parsing
    from liaison.mail.ingest import ingest_many
    from liaison.mail.models import InboundMessage
    from liaison.notify.models import Notification
    from liaison.requests.models import Request, RequestEvent

    senders, intakes = build_org()
    messages, mix = build_messages(args.messages, senders, intakes, rng)
    print_machine()
    print(f"Load: {len(messages)} messages, batches of {args.batch}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(mix.items())))
    sample = messages[: min(3000, len(messages))]
    t0 = time.perf_counter()
    for raw in sample:
        parsing.parse(raw)
    parse_rate = len(sample) / (time.perf_counter() - t0)
    print(f"Parser alone (stdlib compat32 + explicit decoding): {parse_rate:,.0f} msg/s")

    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    outcomes = Counter()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for b in range(0, len(messages), args.batch):
        now = start + dt.timedelta(seconds=b)
        for outcome in ingest_many(messages[b:b + args.batch], now=now, door="bench"):
            outcomes[outcome.disposition] += 1
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(40)
    print(f"Ingest: {len(messages)} messages in {elapsed:.2f} s = {len(messages) / elapsed:,.0f} msg/s "
          f"(this process used {cpu:.2f} s of CPU = {len(messages) / cpu:,.0f} msg per CPU-second; "
          f"load average now {os.getloadavg()[0]:.2f})")
    print("Outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"Rows: {Request.objects.count()} requests, {RequestEvent.objects.count()} events, "
          f"{Notification.objects.count()} notifications "
          f"({Notification.objects.filter(kind='mail.confirmation').count()} confirmations), "
          f"{InboundMessage.objects.count()} inbound log rows")
    assert outcomes.get("quarantined", 0) == 0, "no message of this load may be quarantined"
    assert outcomes["request"] == mix["new"] + mix["html"]


if __name__ == "__main__":
    main()
