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
        if sweeps_only:
            sweeps.loop(tick=tick)
            return
        # The task queue runs in its own process (django-tasks-db's db_worker); sweeps run here.
        stop = threading.Event()
        thread = threading.Thread(target=sweeps.loop, kwargs={"tick": tick, "stop": stop.is_set}, daemon=True)
        thread.start()
        try:
            # restart=True: the queue's worker dies on a locked SQLite database; it is started again
            code = run_together([liaison("db_worker", "--queue-name", "*", "--no-reload")], restart=True)
        finally:
            stop.set()
        raise SystemExit(code)
