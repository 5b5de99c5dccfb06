import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from liaison.core.processes import liaison, run_together


class Command(BaseCommand):
    help = "Serve Liaison with gunicorn (WSGI, sync workers); --with-worker also runs the background worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("LIAISON_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("LIAISON_WEB_THREADS", "4")))
        parser.add_argument("--with-worker", action="store_true", help="also run `liaison worker`")

    def handle(self, *args, host, port, workers, threads, with_worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = [
            sys.executable, "-m", "gunicorn", "liaison.wsgi:application", "--bind", f"{host}:{port}",
            "--config", "python:liaison.gunicorn_conf",  # each worker preloads the statistics
            "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-",
        ]
        commands = [gunicorn] + ([liaison("worker")] if with_worker else [])
        self.stdout.write(f"Liaison at http://{host}:{port}/ ({settings.DATABASES['default']['ENGINE']})"
                          + (" with the background worker" if with_worker else "") + ". Ctrl-C stops.")
        raise SystemExit(run_together(commands))
