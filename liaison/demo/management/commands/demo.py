"""`liaison demo [--people N] [--seed S] [--if-empty]`: fill an empty database with the demo enterprise."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from liaison.demo.builder import DEFAULT_PEOPLE, DEFAULT_SEED, MAX_PEOPLE, build_demo
from liaison.demo.enterprise import DEMO_PASSWORD
from liaison.demo.orgchart import MIN_PEOPLE
from liaison.org.models import Person

DEMO_MIN_PEOPLE = max(200, MIN_PEOPLE)


class Command(BaseCommand):
    help = ("Build a realistic demo enterprise (teams, people, services, dependencies) and print the demo "
            "accounts to sign in with. The same seed always builds the same enterprise.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE,
                            help=f"how many people ({DEMO_MIN_PEOPLE} to {MAX_PEOPLE:,}; default {DEFAULT_PEOPLE})")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing, successfully, when the directory already has people")

    def handle(self, *args, people, seed, if_empty, **options):
        if not DEMO_MIN_PEOPLE <= people <= MAX_PEOPLE:
            raise CommandError(f"--people must be between {DEMO_MIN_PEOPLE} and {MAX_PEOPLE:,} (got {people:,}).")
        existing = Person.objects.count()
        if existing:
            if if_empty:
                self.stdout.write(f"The directory already has {existing:,} people; the demo was not built.")
                return
            raise CommandError(
                f"The directory already has {existing:,} people; the demo only fills an empty database. "
                "Point LIAISON_DATA_DIR or DATABASE_URL at a new one, or pass --if-empty to skip quietly.")

        bars = {}

        def progress(label, done, total):
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = tqdm(total=total, desc=label, file=sys.stderr, disable=None, leave=False)
            bar.total, bar.n = total, done
            bar.refresh()

        try:
            enterprise = build_demo(people=people, seed=seed, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()

        counts = enterprise.counts
        self.stdout.write(self.style.SUCCESS(
            f"Demo enterprise built (seed {seed}): {counts.get('people', 0):,} people in {counts.get('teams', 0):,} "
            f"teams, {counts.get('services', 0):,} services, {counts.get('dependencies', 0):,} dependencies."))
        extra = {key: value for key, value in counts.items()
                 if key not in ("people", "teams", "services", "dependencies")}
        if extra:
            self.stdout.write("Also: " + ", ".join(f"{value:,} {key}" for key, value in extra.items()) + ".")
        self.stdout.write(f"\nSign in at {settings.SITE_URL}/ with password “{DEMO_PASSWORD}” as:")
        for account, person in enterprise.accounts:
            self.stdout.write(f"  {person.email:<40} {person.name} — {account.role}")
        self.stdout.write(f"e.g. Sign in at {settings.SITE_URL}/ as {enterprise.accounts[0][1].email} "
                          f"/ password: {DEMO_PASSWORD}")
