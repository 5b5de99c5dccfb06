"""`make test`: the whole suite on SQLite, then on PostgreSQL when one is reachable.

- PostgreSQL: TEST_DATABASE_URL, else a local server at 127.0.0.1:5432 (user postgres).
- Browser tests run on the SQLite pass when a Chromium is installed; the PostgreSQL
  pass leaves them out (they test pages, not the database). Tests marked `postgres`
  (row locks, concurrent sweeps) run only in the PostgreSQL pass.
- Whatever is skipped is named at the end with its reason. With LIAISON_REQUIRE_ALL=1
  any skip — a whole pass or one test — is a failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

REQUIRE_ALL = os.environ.get("LIAISON_REQUIRE_ALL") == "1"
LOCAL_PG = "postgres://postgres@127.0.0.1:5432/liaison"


def reachable(url):
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def run(label, env_extra, args):
    env = {**os.environ, **env_extra}
    print(f"\n===== {label} =====", flush=True)
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)
    print(f"===== {label}: exit {code} in {time.monotonic() - started:.0f}s =====", flush=True)
    return code


def main():
    extra = sys.argv[1:]
    skipped, failures = [], []
    workers = ["-n", os.environ.get("LIAISON_TEST_WORKERS", "2")]
    # PostgreSQL-only tests (row locks, concurrent sweeps) run in the PostgreSQL pass.
    if run("SQLite", {"DATABASE_URL": ""}, [*workers, "-m", "not postgres", *extra]) not in (0, 5):
        failures.append("SQLite pass")

    pg_url = os.environ.get("TEST_DATABASE_URL") or LOCAL_PG
    if reachable(pg_url):
        code = run("PostgreSQL", {"DATABASE_URL": pg_url}, [*workers, "-m", "not browser", *extra])
        if code not in (0, 5):
            failures.append("PostgreSQL pass")
    else:
        skipped.append(f"PostgreSQL pass: no server reachable at {urlparse(pg_url).netloc}")

    if not shutil.which("chromium"):
        skipped.append("browser tests: no chromium on PATH (apt-get install chromium)")

    print("\n===== summary =====")
    for item in skipped:
        print(f"SKIPPED {item}")
    for item in failures:
        print(f"FAILED {item}")
    if REQUIRE_ALL and skipped:
        print("LIAISON_REQUIRE_ALL=1: a skip is a failure.")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
