"""Per-process caches of the directory, kept honest across processes by one number.

The API's hot path (a token's person, a service with its team, a caller's teams) reads
the directory on every call, and the directory changes rarely. Each gunicorn worker
therefore keeps what it read in a ProcessCache; what keeps those caches from serving
a change made by *another* process is the **directory version**:

- Database triggers (liaison/org/migrations/0003_directory_version.py) move the
  version (one row of org_directoryversion) on every UPDATE or DELETE of a person,
  team, membership, service or API token and every new membership, whichever code
  path writes (the ORM, a bulk import, raw SQL, another machine). Left out: the
  columns written on every sign-in and every API call (``org_person.last_login``,
  ``org_apitoken.last_used_at``), or the version would move all the time, and new
  people, teams, services and tokens, which no cache holds yet. The new value is
  written in the same transaction as the change (on PostgreSQL by a deferred trigger,
  once per transaction, at commit), so no process sees the version move before the
  change itself.
- Every cache lookup first compares the version with the one this process last saw,
  at most once every ``LIAISON_DIRECTORY_CHECK_SECONDS`` (default 1 s; one tiny query
  per process per second at most). When it moved, every ProcessCache is emptied, and
  a value whose loading began before that (`ProcessCache.load`) is not kept.
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

VERSION_TABLE = "org_directoryversion"

_caches = weakref.WeakSet()
_seen = {"version": None, "checked": float("-inf")}
_lock = threading.Lock()


#: Fields written on every sign-in and API call: saving only these changes nothing cached
#: (the migration's triggers leave the same columns out).
BOOKKEEPING = {"Person": {"last_login"}, "ApiToken": {"last_used_at"}}


def is_bookkeeping(sender, update_fields):
    """Is this save (post_save's `sender` and `update_fields`) only bookkeeping?"""
    return bool(update_fields) and set(update_fields) <= BOOKKEEPING.get(sender.__name__, set())


def directory_version():
    """The directory's current version (an integer that moves on every change)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {VERSION_TABLE}")
        row = cursor.fetchone()
    return row[0] if row else 0


def check_directory_version(force=False):
    """Empty every ProcessCache if the directory changed since this process last looked.

    Looks at most once every LIAISON_DIRECTORY_CHECK_SECONDS unless `force`. Returns
    True when the caches were emptied.
    """
    now = time.monotonic()
    interval = settings.LIAISON_DIRECTORY_CHECK_SECONDS
    if not force and now - _seen["checked"] < interval:
        return False
    if not _lock.acquire(blocking=force):  # one thread asks; the others go on meanwhile
        return False
    try:
        if not force and now - _seen["checked"] < interval:
            return False
        _seen["checked"] = now
        version = directory_version()
        if version == _seen["version"]:
            return False
        _seen["version"] = version
        for cache in list(_caches):
            cache.clear()
        return True
    finally:
        _lock.release()


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
        self._epoch = 0  # how many times it was emptied
        _caches.add(self)

    def load(self, key, loader):
        """The cached value, else ``loader()``'s, kept unless it is None or the cache was
        emptied while it loaded (it may then be from before the change that emptied it)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        epoch = self._epoch
        value = loader()
        if value is not None and epoch == self._epoch:
            self.put(key, value)
        return value

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
        self._epoch += 1
        self._data.clear()


# --- the named caches: what the hot paths read ------------------------------------------
#
# Every per-process cache of the directory lives here, behind a function named by what
# it answers; callers never see a ProcessCache or prime attributes on objects. A change
# saved in this process drops the entries at once (the receivers below, connected in
# OrgConfig.ready()); a change saved by another process within about a second (the
# directory version, above).

CACHE_SECONDS = 300
#: The service catalogue: slug -> Service with its team, loaded whole (one query for
#: thousands of services, after which a create among them reads nothing).
_catalogue = ProcessCache(CACHE_SECONDS)
#: Person id -> their teams (_Teams: {slug: Team}, with the ids), and person id -> only the
#: ids (for callers that never need the objects: the batched mail ingest).
_teams_by_person = ProcessCache(CACHE_SECONDS)
_team_ids_by_person = ProcessCache(CACHE_SECONDS)


class _Teams(dict):
    """{slug: Team} with the frozenset of their ids computed once."""

    def __init__(self, teams):
        super().__init__((team.slug, team) for team in teams)
        self.ids = frozenset(team.pk for team in teams)


def service_by_slug(slug):
    """The service with this slug (its team loaded), or None; each call gets its own copy,
    so what one call caches on it stays in that call."""
    import copy

    from .models import Service

    catalogue = _catalogue.load("services", lambda: {s.slug: s for s in Service.objects.select_related("team")})
    service = catalogue.get(slug)
    if service is None:  # unknown, or added since the catalogue was loaded
        service = Service.objects.select_related("team").filter(slug=slug).first()
        if service is None:
            return None
        catalogue[slug] = service
    return copy.copy(service)


def teams_of(person_id):
    """{slug: Team} of the teams `person_id` belongs to."""
    from .models import Membership

    return _teams_by_person.load(person_id, lambda: _Teams(
        [m.team for m in Membership.objects.filter(person_id=person_id).select_related("team")]))


def member_team_ids(person_id):
    """Ids of the teams `person_id` belongs to (a frozenset)."""
    from .models import Membership

    teams = _teams_by_person.get(person_id)
    if teams is not None:
        return teams.ids
    return _team_ids_by_person.load(person_id, lambda: frozenset(
        Membership.objects.filter(person_id=person_id).values_list("team_id", flat=True)))


def remember_team_ids(team_ids_by_person):
    """Store {person id: team ids} read in bulk elsewhere (the batched mail ingest reads
    every sender's memberships in one query), so that member_team_ids() reads nothing."""
    for person_id, ids in team_ids_by_person.items():
        _team_ids_by_person.put(person_id, frozenset(ids))


def clear_named_caches():
    """Empty the catalogue and the teams (a change in this process; tests)."""
    _catalogue.clear()
    _teams_by_person.clear()
    _team_ids_by_person.clear()


def _forget_directory(sender, update_fields=None, **kwargs):
    if not is_bookkeeping(sender, update_fields):  # a sign-in saves last_login only
        clear_named_caches()


def _forget_membership(sender, instance, **kwargs):
    _teams_by_person.forget(instance.person_id)
    _team_ids_by_person.forget(instance.person_id)


def connect_receivers():
    """Called once by OrgConfig.ready(): a change saved here drops what it invalidates."""
    from django.db.models.signals import post_delete, post_save

    from .models import Membership, Person, Service, Team

    for signal, what in ((post_save, "saved"), (post_delete, "deleted")):
        for model in (Service, Team, Person):
            signal.connect(_forget_directory, sender=model, dispatch_uid=f"org.cache.{model.__name__}.{what}")
        signal.connect(_forget_membership, sender=Membership, dispatch_uid=f"org.cache.Membership.{what}")
