"""Per-process caches of the directory, kept honest across processes by one number.

The API's hot path (a token's person, a service with its team, a caller's teams) reads
the directory on every call, and the directory changes rarely. Each gunicorn worker
therefore keeps what it read in a ProcessCache; what keeps those caches from serving
a change made by *another* process is the **directory version**:

- Database triggers (liaison/org/migrations/0003_directory_version.py) move the
  version on every INSERT, UPDATE or DELETE of a person, team, membership, service or
  API token, whichever code path writes (the ORM, a bulk import, raw SQL, another
  machine). Only the columns written on every sign-in and every API call
  (``org_person.last_login``, ``org_apitoken.last_used_at``) are left out, or the
  version would move all the time. On PostgreSQL the version is a sequence moved by
  deferred triggers, at commit: no lock, no hot row, and the move becomes visible
  together with the change. On SQLite (one writer at a time) it is a one-row table.
- Every cache lookup first compares the version with the one this process last saw,
  at most once every ``LIAISON_DIRECTORY_CHECK_SECONDS`` (default 1 s; one tiny query
  per process per second at most). When it moved, every ProcessCache is emptied.
  A change saved in this process still drops its entries at once (signals, where
  each cache is defined).

So a revoked token, a deactivated person, a person leaving a team or a service moving
to another team is refused or seen everywhere within about a second, while a steady
stream of API calls reads nothing but what it writes. The time to live of each cache
is only a safety net for a change the triggers cannot see (a restore from backup, a
trigger dropped by hand).
"""

import threading
import time
import weakref

from django.conf import settings
from django.db import connection

VERSION_SEQUENCE = "org_directory_version"  # PostgreSQL
VERSION_TABLE = "org_directoryversion"  # SQLite

_caches = weakref.WeakSet()
_seen = {"version": None, "checked": float("-inf"), "settling": False}
_lock = threading.Lock()


def directory_version():
    """The directory's current version (an integer that moves on every change)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value + is_called::int FROM {VERSION_SEQUENCE}")  # 1, 2, 3...
        else:
            cursor.execute(f"SELECT value FROM {VERSION_TABLE}")
        row = cursor.fetchone()
    return row[0] if row else 0


def check_directory_version(force=False):
    """Empty every ProcessCache if the directory changed since this process last looked.

    Looks at most once every LIAISON_DIRECTORY_CHECK_SECONDS unless `force`. Returns
    True when the caches were emptied.
    """
    now = time.monotonic()
    interval = getattr(settings, "LIAISON_DIRECTORY_CHECK_SECONDS", 1.0)
    if not force and now - _seen["checked"] < interval:
        return False
    with _lock:  # one thread of the process asks; the others go on with what they have
        if not force and now - _seen["checked"] < interval:
            return False
        _seen["checked"] = now
        version = directory_version()
        if version == _seen["version"] and not _seen["settling"]:
            return False
        # PostgreSQL moves the version a moment before the commit is visible (the trigger
        # runs inside the commit): what is read in that moment may be the old row, so
        # the caches are emptied once more at the next look after a move.
        _seen["settling"] = version != _seen["version"]
        _seen["version"] = version
        for cache in list(_caches):
            cache.clear()
        return True


class ProcessCache:
    """A small per-process cache for lookups on hot paths, emptied when the directory moves.

    For what changes rarely and is read on every API call. Entries expire `ttl` seconds
    after they were loaded (a safety net, see the module docstring); the owner drops
    them at once (`forget`, `clear`) when a change is saved in this process, and every
    cache is emptied when another process changed the directory. Thread-safe for
    gunicorn's gthread workers: each operation is a single dict operation under the GIL.
    """

    def __init__(self, ttl, max_entries=50_000):
        self.ttl, self.max_entries, self._data = ttl, max_entries, {}
        _caches.add(self)

    def get(self, key):
        check_directory_version()
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key, value):
        if len(self._data) >= self.max_entries:
            now = time.monotonic()
            for k, (expires, _) in list(self._data.items()):
                if expires < now:
                    self._data.pop(k, None)
            if len(self._data) >= self.max_entries:
                self._data.clear()
        self._data[key] = (time.monotonic() + self.ttl, value)
        return value

    def forget(self, key):
        self._data.pop(key, None)

    def clear(self):
        self._data.clear()
