from django.conf import settings
from django.core.management.base import BaseCommand

from liaison.core import sweeps


class Command(BaseCommand):
    help = ("Run the background worker: the periodic sweeps that send what is due (notifications, webhooks, "
            "reminders, rollups...). Run several on several machines for more throughput; every sweep is "
            "idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--sweeps-only", action="store_true",
                            help="the same as without it (kept for existing deployments: the worker runs only sweeps)")
        parser.add_argument("--once", action="store_true", help="run every sweep once, then exit")
        parser.add_argument("--tick", type=int, default=None,
                            help="seconds between sweep rounds (default: LIAISON_SWEEP_INTERVAL)")

    def handle(self, *args, sweeps_only, once, tick, **options):
        if once:
            for name, result in sweeps.run_due({}).items():
                self.stdout.write(f"{name}: {result}")
            return
        names = ", ".join(sweeps.registered()) or "none registered"
        tick = settings.LIAISON_SWEEP_INTERVAL if tick is None else tick
        every = ", ".join(f"{name} {job.every}s" for name, job in sweeps.registered().items())
        self.stdout.write(f"Sweeps: {names}; a round every {tick}s runs those due ({every or 'none'})", ending="\n")
        self.stdout.flush()
        sweeps.loop(tick=tick)
