"""Run child processes together and stop them together (Ctrl-C, SIGTERM, one dying)."""

import signal
import subprocess
import sys
import time


def run_together(commands, stdout=None):
    """Start every command; when any exits or we are signalled, stop all. Returns an exit code."""
    children = [subprocess.Popen(cmd, stdout=stdout) for cmd in commands]
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and all(child.poll() is None for child in children):
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
