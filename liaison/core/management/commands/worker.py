import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from liaison.core import sweeps
from liaison.core.processes import liaison, run_together


class Command(BaseCommand):
    help = ("Run the background worker: the django.tasks queue (database backend) and the periodic "
            "sweeps. Run several on several machines for more throughput; every sweep is idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--sweeps-only", action="store_true", help="run only the periodic sweeps")
        parser.add_argument("--once", action="store_true", help="run every sweep once, then exit")
        parser.add_argument("--tick", type=int, default=5, help="seconds between sweep checks")

    def handle(self, *args, sweeps_only, once, tick, **options):
        if once:
            for name, result in sweeps.run_due({}).items():
                self.stdout.write(f"{name}: {result}")
            return
        names = ", ".join(sweeps.registered()) or "none registered"
        self.stdout.write(f"Sweeps: {names} (every {settings.LIAISON_SWEEP_INTERVAL}s or their own interval)")
        if sweeps_only:
            sweeps.loop(tick=tick)
            return
        # The task queue runs in its own process (django-tasks-db's db_worker); sweeps run here.
        stop = threading.Event()
        thread = threading.Thread(target=sweeps.loop, kwargs={"tick": tick, "stop": stop.is_set}, daemon=True)
        thread.start()
        try:
            code = run_together([liaison("db_worker", "--queue-name", "*", "--no-reload")])
        finally:
            stop.set()
        raise SystemExit(code)
