"""Run child processes together and stop them together (Ctrl-C, SIGTERM, one dying)."""

import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger(__name__)


def run_together(commands, stdout=None, restart=False):
    """Start every command; when any exits or we are signalled, stop all. Returns an exit code.

    With `restart`, a child that fails (exit code not 0) is started again instead, after a
    back-off of 1 s doubling to 30 s (reset once it has run for a minute): the task queue's
    db_worker dies on SQLite's "database is locked" at the start of a transaction, and the
    worker must outlive a busy database."""
    children = [subprocess.Popen(cmd, stdout=stdout) for cmd in commands]
    started = [time.monotonic()] * len(children)
    delays = [1.0] * len(children)
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            for n, child in enumerate(children):
                code = child.poll()
                if code is None or not restart or code == 0:
                    continue
                ran = time.monotonic() - started[n]
                delays[n] = 1.0 if ran > 60 else min(delays[n] * 2, 30.0)
                log.warning("%s exited with %s after %.0fs; starting it again in %.0fs",
                            " ".join(commands[n][-4:]), code, ran, delays[n])
                time.sleep(delays[n])
                if stopping:
                    break
                children[n] = subprocess.Popen(commands[n], stdout=stdout)
                started[n] = time.monotonic()
            if not all(child.poll() is None for child in children) and not restart:
                break
            if restart and any(child.poll() == 0 for child in children):
                break
            time.sleep(0.3)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    codes = [child.returncode or 0 for child in children]
    return 0 if stopping else max(codes)


def liaison(*args):
    """The command line for a `liaison` subcommand, with this interpreter."""
    return [sys.executable, "-m", "liaison.cli", *args]
