"""`liaison serve` warms each web worker before it takes traffic (issue 15): gunicorn's
post_worker_init hook imports the statistics (scipy, lifelines) and every view, so the
first insights page of a fresh worker does not pay for them.

A real `serve` (gunicorn, one worker) on a free port over a SQLite file; the worker's
"ready" line is logged by the hook after the imports, and the first page then answers.
"""

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_preload_imports_the_statistics():
    code = ("import sys, django; django.setup()\n"
            "from liaison.core.warmup import preload\n"
            "assert not {'scipy', 'lifelines'} & set(sys.modules), 'loaded before the preload'\n"
            "preload()\n"
            "print(sorted(m for m in ('scipy.stats', 'lifelines', 'liaison.insights.fairness', 'liaison.api')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['liaison.api', 'liaison.insights.fairness', 'lifelines', 'scipy.stats']"


def test_serve_workers_preload_before_taking_traffic(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LIAISON_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "liaison.settings", "LIAISON_HTTPS": "0", "LIAISON_DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    server = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1"],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        lines, deadline = [], time.monotonic() + 240
        while time.monotonic() < deadline and not any("ready:" in line for line in lines):
            if select.select([server.stderr], [], [], 1)[0]:
                lines.append(server.stderr.readline())
            assert server.poll() is None, "".join(lines)
        ready = [line for line in lines if "ready:" in line]
        assert ready and "modules preloaded" in ready[0], "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=30) as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
