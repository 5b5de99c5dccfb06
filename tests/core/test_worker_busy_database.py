"""`liaison worker` outlives a busy database and finishes the sweeps afterwards.

A real worker process (the sweeps; it once also ran a task queue's db_worker child) starts while another
connection holds a long write transaction: on SQLite the write lock (BEGIN IMMEDIATE,
as `liaison demo` holds it while loading), on PostgreSQL ACCESS EXCLUSIVE locks on every
table with a short lock_timeout for the worker, so its statements fail rather than wait.
Before the fix the db_worker child died on "database is locked" and took the worker with
it, and a failed sweep waited a whole interval (a day for insights.alerts).
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(path, pattern, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, path.read_text(errors="replace")):
            return True
        time.sleep(0.5)
    return False


def _sqlite_env(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings", "LIAISON_DATA_DIR": str(tmp_path),
           "DATABASE_URL": ""}
    subprocess.run([sys.executable, "-m", "liaison.cli", "migrate", "-v0"], check=True, cwd=ROOT, env=env,
                   timeout=300)
    db = sqlite3.connect(tmp_path / "liaison.sqlite3", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("CREATE TABLE busy_writer (x integer)")
    return env, db, 25  # longer than the worker's busy timeout


def _postgres_env():
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings", "DATABASE_URL": url,
           "PGOPTIONS": "-c lock_timeout=1000"}
    import psycopg

    db = psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                         password=s["PASSWORD"] or None, dbname=s["NAME"])
    tables = [t for (t,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    db.execute("LOCK TABLE " + ", ".join(f'"{t}"' for t in tables) + " IN ACCESS EXCLUSIVE MODE")
    return env, db, 12


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_busy_database_and_completes_the_sweeps(tmp_path):
    env, holder, hold = _sqlite_env(tmp_path) if connection.vendor == "sqlite" else _postgres_env()
    env.update(LIAISON_LOG_LEVEL="INFO", LIAISON_SWEEP_INTERVAL="1",
               LIAISON_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "liaison.cli", "worker"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        assert _wait_for(log, r"sweep \S+ failed", hold + 30), log.read_text()
        time.sleep(hold)  # the write transaction stays open while the worker keeps sweeping
        assert worker.poll() is None, log.read_text()
        if connection.vendor == "sqlite":
            holder.execute("ROLLBACK")
        else:
            holder.rollback()
        holder.close()
        text = log.read_text()
        failed = set(re.findall(r"sweep (\S+) failed", text))
        assert failed
        for name in failed:  # each sweep that met the lock runs to completion once it is gone
            assert _wait_for(log, rf"sweep {re.escape(name)} ran again after", 60), log.read_text()
        assert worker.poll() is None, log.read_text()  # still running (there is no task queue process)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
