"""Benchmark: import an org chart of 50,000 people, import it again, then import it 1 % changed.

    .venv/bin/python bench/import_org.py [--people 50000] [--seed 1] [--changed 0.01]
                                         [--database-url postgres://user@host:5432/any]

The CSV is the demo enterprise's org chart (liaison.demo.orgchart: divisions,
departments, teams, leads, managers, sites, time zones, sensitive attributes), written
to a temporary directory. The import runs into a fresh database: SQLite in the same
temporary directory by default; with --database-url, a new database created on that
PostgreSQL server for the run and dropped afterwards (the URL's own database is only
used to connect). Each import is checked, not just timed: the first creates everyone,
the second changes nothing, the third updates exactly the changed rows.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _machine import print_machine


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.01, help="share of rows changed in the third import")
    parser.add_argument("--database-url", help="a PostgreSQL server to run on (a scratch database is created)")
    return parser.parse_args()


def scratch_postgres(url):
    """Create a scratch database beside the URL's; returns (its URL, a function that drops it)."""
    import psycopg

    name = f"liaison_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def write_changed(source, target, share, rng):
    """A copy of the CSV with `share` of the rows changed (title and site); returns how many."""
    with open(source, newline="") as fh:
        rows = list(csv.DictReader(fh))
    chosen = rng.sample(range(len(rows)), round(len(rows) * share))
    for index in chosen:
        rows[index]["title"] = "Acting " + rows[index]["title"]
    with open(target, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(chosen)


def timed(label, path, expect, results):
    from liaison.org.importer import import_org_csv

    with open(path, newline="", encoding="utf-8") as fh:
        start = time.perf_counter()
        report = import_org_csv(fh)
        seconds = time.perf_counter() - start
    for field, value in expect.items():
        actual = getattr(report, field)
        if actual != value:
            sys.exit(f"{label}: expected {field} == {value:,}, got {actual:,} ({report})")
    results.append((label, seconds, report))
    print(f"{label:<22} {seconds:7.2f} s  {report.people / seconds:9,.0f} people/s   {report.summary()}", flush=True)


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["LIAISON_DATA_DIR"] = str(tmp)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
        drop = None
        if args.database_url:
            os.environ["DATABASE_URL"], drop = scratch_postgres(args.database_url)
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
        try:
            run(args, tmp)
        finally:
            if drop:
                drop()


def run(args, tmp):
    import django

    django.setup()
    from django.core.management import call_command

    from liaison.demo.orgchart import plan_org

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    plan = plan_org(args.people, random.Random(args.seed))
    original = tmp / "org.csv"
    with open(original, "w", newline="", encoding="utf-8") as fh:
        plan.write_csv(fh)
    changed_path = tmp / "org-changed.csv"
    changed = write_changed(original, changed_path, args.changed, random.Random(args.seed))
    print(f"Org chart: {args.people:,} people in {len(plan.teams):,} teams, {original.stat().st_size / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - start:.1f} s); {changed:,} rows changed for the third import.\n")

    results, n = [], args.people
    timed("first import", original, {"people_created": n}, results)
    timed("re-import (same file)", original, {"people_unchanged": n, "teams_updated": 0, "teams_created": 0}, results)
    timed(f"changed import ({args.changed:.0%})", changed_path,
          {"people_updated": changed, "people_unchanged": n - changed, "people_created": 0}, results)
    print()
    print_machine()


if __name__ == "__main__":
    main()
