"""What a benchmark ran on: printed with every figure, so figures from different machines are not compared blindly."""

import os
import platform
import sys


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _database():
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    return connection.vendor


def machine():
    """A dict describing this machine and software; call after django.setup() to include the database."""
    import django

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = _memory_gib()
    info = {
        "cpu": _cpu_model(),
        "cores": f"{usable} usable of {os.cpu_count()}",
        "memory": f"{memory:.1f} GiB" if memory else "unknown",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown",
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
    }
    try:
        info["database"] = _database()
    except Exception as exc:  # the machine report must never break a benchmark
        info["database"] = f"unknown ({exc})"
    return info


def print_machine(out=sys.stdout):
    print("Machine:", file=out)
    for key, value in machine().items():
        print(f"  {key:<9} {value}", file=out)
