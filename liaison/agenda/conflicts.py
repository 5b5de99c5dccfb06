# ruff: noqa: RUF001, RUF002 -- typographic dashes, minus and times signs are meant for readers
"""Conflict detection: which changes collide with which customer events and freeze windows.

The rule. A change C (services S_C, window [start, end)) collides with
- an event E (services D_E, window [start − buffer, end)) when the windows overlap and C
  touches a service E depends on, directly or through the dependency graph: some s in S_C
  is in D_E or in what D_E depends on, transitively;
- a freeze window F when the windows overlap and F is organisation-wide, or C touches a
  frozen service or something a frozen service depends on (changing what a frozen service
  stands on is changing the frozen service).

Two ways to find them, one reconciliation:
- `check_change`, `check_event`, `check_freeze`, `check_dependency` look at one item, after
  it is created or changed: a recursive SQL query walks the graph from its services, one
  indexed range query finds the overlapping windows. A few milliseconds.
- `full_scan` looks at everything at once: it loads the windows (raw SQL, times as epoch
  seconds: 200,000 rows without building a datetime), computes each service's transitive
  dependencies once, and joins through an interval index: change-service links sorted
  by (service, start), searched for all guards at once with NumPy (see overlap_pairs).
  O((n + m·k) log n), not the O(n·m) of comparing every pair.
Both end in `reconcile`, which creates new conflicts, refreshes the ones still there,
resolves (as "rescheduled") the ones whose windows no longer overlap, withdraws the ones
that no longer apply for another reason (cancelled, dependency removed), and reopens one
that comes back after a reschedule. New and reopened conflicts notify both leads.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from liaison.org.models import Service, ServiceDependency

from .models import Change, Conflict, ConflictEntry, Event, FreezeWindow

RISK_WEIGHT = {"low": 1, "medium": 2, "high": 3}
CRITICALITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
FREEZE_CRITICALITY = "high"
SOON = timedelta(days=7)
# An event's guarded window is at most 90 days plus a 30-day buffer: a lower bound that
# lets the database use the guard_start index from both sides.
LONGEST_GUARD = timedelta(days=90 + 30)
SCANNED_CHANGE_STATUSES = (*Change.LIVE, Change.Status.DONE)


# --- severity ---------------------------------------------------------------------------

def closeness(change_start, change_end, target_start, target_end, now):
    """1–3: one point, plus one if the change hits the event itself (not only its buffer),
    plus one if the change starts within a week (little time left to move it)."""
    score = 1
    if change_start < target_end and change_end > target_start:
        score += 1
    if change_start - now <= SOON:
        score += 1
    return score


def severity_score(risk, criticality, closeness_points):
    return RISK_WEIGHT[risk] * CRITICALITY_WEIGHT[criticality] * closeness_points


def severity_label(score):
    if score >= 18:
        return Conflict.Severity.CRITICAL
    if score >= 8:
        return Conflict.Severity.HIGH
    if score >= 4:
        return Conflict.Severity.MEDIUM
    return Conflict.Severity.LOW


# --- the dependency graph ---------------------------------------------------------------

def closures(adjacency):
    """{node: frozenset(node and every node reachable from it)} for an acyclic adjacency map.

    Each node is computed once from its successors' closures (iterative post-order, so a
    deep graph cannot overflow the stack).
    """
    memo = {}
    for root in list(adjacency):
        if root in memo:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in memo:
                continue
            nexts = adjacency.get(node, ())
            if expanded:
                acc = {node}
                for nxt in nexts:
                    acc |= memo[nxt]
                memo[node] = frozenset(acc)
            else:
                stack.append((node, True))
                stack.extend((nxt, False) for nxt in nexts if nxt not in memo)
    return memo


def _walk_sql(service_ids, downward, change_id=None):
    """Rows (id, parent, depth, name) of every service reachable from the starting services.

    The start is `service_ids`, or the services of change `change_id` (saving a query).
    downward: along "depends on" (what these services stand on); else along "is depended
    on by" (what stands on them). One recursive query, PostgreSQL and SQLite alike.
    """
    services = Service._meta.db_table
    if change_id is not None:
        seed = f"SELECT service_id FROM {Change.services.through._meta.db_table} WHERE change_id = %s"
        params = [change_id]
    elif service_ids:
        seed = f"SELECT id FROM {services} WHERE id IN ({', '.join(['%s'] * len(service_ids))})"
        params = list(service_ids)
    else:
        return []
    dep = ServiceDependency._meta.db_table
    start_col, next_col = ("service_id", "depends_on_id") if downward else ("depends_on_id", "service_id")
    sql = f"""
        WITH RECURSIVE walk(id, parent, depth) AS (
            SELECT seed.*, CAST(NULL AS BIGINT), 0 FROM ({seed}) AS seed
            UNION
            SELECT d.{next_col}, d.{start_col}, w.depth + 1
            FROM {dep} d JOIN walk w ON d.{start_col} = w.id
            WHERE w.depth < 64
        )
        SELECT w.id, w.parent, w.depth, s.name FROM walk w JOIN {services} s ON s.id = w.id ORDER BY w.depth
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _parents(rows):
    """{id: parent} keeping the shallowest way each node was reached."""
    parents = {}
    for node, parent, *_ in rows:
        parents.setdefault(node, parent)
    return parents


def _chain(parents, node):
    chain = [node]
    while parents.get(chain[-1]) is not None:
        chain.append(parents[chain[-1]])
    return chain


def path_words(names):
    """['Webinar', 'Video', 'Network'] → 'Webinar, which depends on Video, which depends on Network'."""
    return ", which depends on ".join(names)


# --- one finding -------------------------------------------------------------------------

@dataclass
class Finding:
    change: Change
    kind: str
    target: object  # Event or FreezeWindow
    path: list  # service names, from the target's service down to the changed service
    now: datetime

    @property
    def key(self):
        return (self.change.pk, self.kind, self.target.pk)

    @property
    def guard_start(self):
        return self.target.guard_start if self.kind == Conflict.Kind.EVENT else self.target.start

    @property
    def overlap(self):
        return max(self.change.start, self.guard_start), min(self.change.end, self.target.end)

    @property
    def criticality(self):
        return self.target.criticality if self.kind == Conflict.Kind.EVENT else FREEZE_CRITICALITY

    @property
    def score(self):
        points = closeness(self.change.start, self.change.end, self.target.start, self.target.end, self.now)
        return severity_score(self.change.risk, self.criticality, points)

    def reason(self):
        change, target = self.change, self.target
        start, end = self.overlap
        when = utc_window(start, end)
        touched = self.path[-1] if self.path else "?"
        if self.kind == Conflict.Kind.FREEZE:
            if target.org_wide:
                return (f"The change “{change.title}” falls in the organisation-wide freeze “{target.title}” "
                        f"({when}).")
            return (f"The change “{change.title}” touches {touched} during the freeze “{target.title}” ({when}): "
                    f"the frozen service {path_words(self.path)}.")
        if len(self.path) <= 1:
            why = f"the event depends on {touched} directly"
        else:
            why = f"the event depends on {path_words(self.path)}"
        hits = ("the event itself" if change.start < target.end and change.end > target.start
                else f"the {target.buffer_hours}-hour preparation buffer before it")
        return (f"The change “{change.title}” by {change.team.name} touches {touched}; {target.team.name}'s "
                f"event “{target.title}” needs it: {why}. The change window overlaps {hits} ({when}).")


def utc_window(start, end):
    """How a stored reason names its window (UTC: the reason is written once for everyone)."""
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} UTC"


def explain(conflict, zone):
    """The conflict's reason for one reader, as they may read it (Conflict.shown_reason: a
    confidential item of another team stays unnamed), its window in the reader's zone,
    named, so the explanation does not mix UTC with the local times around it."""
    from liaison.core.times import show

    start, end = conflict.overlap_start, conflict.overlap_end
    local = f"{show(start, zone)} – {show(end, zone)}"
    return conflict.shown_reason.replace(utc_window(start, end), local)


# --- one item at a time -------------------------------------------------------------------

def _names(ids):
    return dict(Service.objects.filter(pk__in=ids).values_list("pk", "name"))


def _findings_for_change(change, now):
    """Every conflict `change` has now (empty if it is not live)."""
    if change.status not in Change.LIVE:
        return []
    rows = _walk_sql(None, downward=False, change_id=change.pk)  # the changed services and all standing on them
    up = _parents(rows)
    names = {row[0]: row[3] for row in rows}
    affected = list(up)
    if not affected:
        return []
    needing = Event.services.through.objects.filter(service_id__in=affected).values("event_id")
    events = (Event.objects.filter(status=Event.Status.SCHEDULED, guard_start__lt=change.end,
                                   guard_start__gt=change.start - LONGEST_GUARD, end__gt=change.start,
                                   pk__in=needing)
              .select_related("team").prefetch_related("services").order_by())
    frozen = FreezeWindow.services.through.objects.filter(service_id__in=affected).values("freezewindow_id")
    freezes = (FreezeWindow.objects.overlapping(change.start, change.end)
               .filter(Q(org_wide=True) | Q(pk__in=frozen)).prefetch_related("services").order_by())
    events, freezes = list(events), list(freezes)
    affected_set = set(affected)
    findings = []
    for kind, targets in ((Conflict.Kind.EVENT, events), (Conflict.Kind.FREEZE, freezes)):
        for target in targets:
            starts = [s.pk for s in target.services.all() if s.pk in affected_set]
            path = []
            if starts:
                best = min((_chain(up, s) for s in starts), key=len)
                path = [names.get(pk, str(pk)) for pk in best]
            findings.append(Finding(change, kind, target, path, now))
    return findings


def check_change(change, now, by=None):
    """Find, record and announce the conflicts of one change. Returns (created, reopened, settled)."""
    findings = _findings_for_change(change, now)
    return reconcile(findings, Conflict.objects.filter(change=change), now, by=by)


def _changes_touching(service_ids, start, end):
    return (Change.objects.filter(status__in=Change.LIVE, start__lt=end, end__gt=start,
                                  services__in=service_ids).distinct().select_related("team"))


def _target_findings(kind, target, service_ids, now):
    """Findings of one event / freeze window against every live change that overlaps it."""
    if kind == Conflict.Kind.EVENT:
        guard_start, live = target.guard_start, target.status == Event.Status.SCHEDULED
    else:
        guard_start, live = target.start, True
    if not live:
        return []
    if kind == Conflict.Kind.FREEZE and target.org_wide:
        changes = Change.objects.filter(status__in=Change.LIVE, start__lt=target.end,
                                        end__gt=guard_start).select_related("team")
        return [Finding(c, kind, target, [], now) for c in changes]
    rows = _walk_sql(service_ids, downward=True)  # what the target's services stand on
    down = _parents(rows)
    changes = list(_changes_touching(list(down), guard_start, target.end).prefetch_related("services"))
    names = _names(set(down) | {p for p in down.values() if p})
    findings = []
    for change in changes:
        touched = [s.pk for s in change.services.all() if s.pk in down]
        best = min((_chain(down, s) for s in touched), key=len)
        findings.append(Finding(change, kind, target, [names.get(pk, str(pk)) for pk in reversed(best)], now))
    return findings


def check_event(event, now, by=None):
    findings = _target_findings(Conflict.Kind.EVENT, event, list(event.services.values_list("pk", flat=True)), now)
    reconcile(findings, Conflict.objects.filter(event=event), now, by=by)
    return list(Conflict.objects.filter(event=event).unsettled())


def check_freeze(freeze, now, by=None):
    services = list(freeze.services.values_list("pk", flat=True))
    findings = _target_findings(Conflict.Kind.FREEZE, freeze, services, now)
    reconcile(findings, Conflict.objects.filter(freeze=freeze), now, by=by)
    return list(Conflict.objects.filter(freeze=freeze).unsettled())


def check_dependency(depends_on_id, now):
    """After an edge X → Y is added or removed: recheck upcoming live changes to Y or below it."""
    below = [row[0] for row in _walk_sql([depends_on_id], downward=True)]
    changes = Change.objects.filter(status__in=Change.LIVE, end__gt=now, services__in=below).distinct()
    for change in changes.select_related("team"):
        check_change(change, now)


# --- reconciliation -----------------------------------------------------------------------

def _key(conflict):
    target = conflict.event_id if conflict.kind == Conflict.Kind.EVENT else conflict.freeze_id
    return (conflict.change_id, conflict.kind, target)


def _still_overlaps(conflict):
    change = conflict.change
    if conflict.kind == Conflict.Kind.EVENT:
        target_start, target_end = conflict.event.guard_start, conflict.event.end
    else:
        target_start, target_end = conflict.freeze.start, conflict.freeze.end
    return change.start < target_end and change.end > target_start


def reconcile(findings, existing, now, by=None, notify=True):
    """Make the stored conflicts in `existing` match `findings` (see the module doc).

    Returns (created, reopened, settled) counts. Notifies both leads of each new or
    reopened conflict, at once, after the transaction commits.
    """
    found = {f.key: f for f in findings}
    stored = {_key(c): c for c in existing.select_related("change", "event", "freeze").order_by()}
    if not found and not any(c.is_unsettled for c in stored.values()):
        return 0, 0, 0  # nothing to write: no transaction, no round trips
    with transaction.atomic():
        return _reconcile(found, stored, now, by, notify)


def _reconcile(found, stored, now, by, notify):
    from .services import announce_conflict  # services imports this module

    created, reopened, settled, touched = [], [], 0, []
    new_rows = []
    for key, finding in found.items():
        start, end = finding.overlap
        score = finding.score
        conflict = stored.get(key)
        if conflict is None:
            conflict = Conflict(
                kind=finding.kind, change=finding.change,
                event=finding.target if finding.kind == Conflict.Kind.EVENT else None,
                freeze=finding.target if finding.kind == Conflict.Kind.FREEZE else None,
                score=score, severity=severity_label(score), path=finding.path, reason=finding.reason(),
                overlap_start=start, overlap_end=end, detected_at=now)
            new_rows.append(conflict)
            continue
        comes_back = (conflict.status == Conflict.Status.WITHDRAWN
                      or (conflict.status == Conflict.Status.RESOLVED
                          and conflict.resolution == Conflict.Resolution.RESCHEDULED))
        fresh = (score, start, end, finding.path)
        if comes_back or fresh != (conflict.score, conflict.overlap_start, conflict.overlap_end, conflict.path):
            conflict.score, conflict.severity = score, severity_label(score)
            conflict.overlap_start, conflict.overlap_end, conflict.path = start, end, finding.path
            conflict.reason = finding.reason()
            if comes_back:
                conflict.status, conflict.resolution = Conflict.Status.OPEN, ""
                conflict.settled_at = conflict.settled_by = None
                reopened.append(conflict)
            touched.append(conflict)
    if new_rows:
        created = Conflict.objects.bulk_create(new_rows)
        if not all(c.pk for c in created):  # backends without RETURNING on bulk insert
            created = list(Conflict.objects.filter(detected_at=now, change__in=[c.change for c in new_rows]))
        ConflictEntry.objects.bulk_create([
            ConflictEntry(conflict=c, kind=ConflictEntry.Kind.DETECTED, text=c.reason, at=now) for c in created])
    if touched:
        Conflict.objects.bulk_update(touched, ["score", "severity", "overlap_start", "overlap_end", "path",
                                               "reason", "status", "resolution", "settled_at", "settled_by"])
        ConflictEntry.objects.bulk_create([
            ConflictEntry(conflict=c, kind=ConflictEntry.Kind.REOPENED, at=now,
                          text=f"The collision is back: {c.reason}") for c in reopened])
    gone = [c for key, c in stored.items() if key not in found and c.is_unsettled]
    for conflict in gone:
        if conflict.change.status in Change.LIVE and _target_live(conflict) and not _still_overlaps(conflict):
            conflict.status, conflict.resolution = Conflict.Status.RESOLVED, Conflict.Resolution.RESCHEDULED
        else:
            conflict.status, conflict.resolution = Conflict.Status.WITHDRAWN, ""
        conflict.settled_at, conflict.settled_by = now, by
        settled += 1
    if gone:
        Conflict.objects.bulk_update(gone, ["status", "resolution", "settled_at", "settled_by"])
        ConflictEntry.objects.bulk_create([
            ConflictEntry(conflict=c, author=by, at=now, kind=(
                ConflictEntry.Kind.RESOLVED if c.status == Conflict.Status.RESOLVED else ConflictEntry.Kind.WITHDRAWN),
                text=("Resolved by itself: the windows no longer overlap." if c.status == Conflict.Status.RESOLVED
                      else "Withdrawn by itself: " + _why_gone(c)))
            for c in gone])
    if notify and (created or reopened):
        to_announce = [c.pk for c in [*created, *reopened]]
        transaction.on_commit(lambda: announce_conflict(to_announce, now))
    if notify and gone:  # a reschedule or a cancellation settled them: both leads hear what changed
        from .services import announce_settled

        to_settle = [c.pk for c in gone]
        transaction.on_commit(lambda: announce_settled(to_settle, now, by=by))
    return len(created), len(reopened), settled


def _target_live(conflict):
    if conflict.kind == Conflict.Kind.EVENT:
        return conflict.event.status == Event.Status.SCHEDULED
    return True


def _why_gone(conflict):
    if conflict.change.status not in Change.LIVE:
        return f"the change is {conflict.change.get_status_display().lower()}."
    if conflict.kind == Conflict.Kind.EVENT and conflict.event.status != Event.Status.SCHEDULED:
        return "the event is cancelled."
    return "the change no longer touches anything the other side depends on."


# --- the full scan --------------------------------------------------------------------------

def _fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _grouped(rows):
    groups = defaultdict(list)
    for owner, service in rows:
        groups[owner].append(service)
    return groups


def overlap_pairs(c_ids, c_start, c_end, link_change, link_service, guards, dependencies):
    """Every (change_id, kind, guard_id) whose windows overlap and whose services meet.

    An interval index per service, built with NumPy: the change-service links sorted by
    (service, start); each guard looks up, for each service in its closure, the changes
    on that service starting in (guard start - longest change, guard end) with one
    binary search (np.searchsorted over all of them at once), then keeps those that
    end after the guard starts. O((n + m·k) log n) for n links and m guards with k
    services in their closures, in C loops, where comparing every pair would be O(n·m).

    c_ids, c_start, c_end: int64 arrays (times as epoch seconds); link_change (index
    into c_ids) and link_service: one row per change-service link; guards: [(kind, id,
    start, end, services, org_wide)]; dependencies: {service: frozenset(itself and
    everything it depends on, transitively)}.
    """
    import numpy as np
    pairs = set()
    if len(c_ids) == 0 or not guards:
        return pairs
    link_start = c_start[link_change]
    t0 = int(min(c_start.min(), min(g[2] for g in guards))) - 1
    longest = int((c_end - c_start).max())
    order = np.lexsort((link_start, link_service))
    link_change, link_service, link_start = link_change[order], link_service[order], link_start[order]
    keys = (link_service << 34) | (link_start - t0)

    closures_of, parts, owners = {}, [], []
    plain = [j for j, g in enumerate(guards) if not g[5]]
    for j in plain:
        services = tuple(guards[j][4])
        arr = closures_of.get(services)
        if arr is None:
            acc = set()
            for sid in services:
                acc |= dependencies.get(sid) or {sid}
            arr = closures_of[services] = np.fromiter(acc, dtype=np.int64, count=len(acc))
        parts.append(arr)
        owners.append(len(arr))
    if parts:
        g_start = np.array([guards[j][2] for j in plain], dtype=np.int64)
        g_end = np.array([guards[j][3] for j in plain], dtype=np.int64)
        q_service = np.concatenate(parts)
        q_guard = np.repeat(np.arange(len(plain)), owners)
        low = np.maximum(g_start[q_guard] - longest - t0, 0)
        lo = np.searchsorted(keys, (q_service << 34) | low, side="right")
        hi = np.searchsorted(keys, (q_service << 34) | (g_end[q_guard] - t0), side="left")
        counts = hi - lo
        total = int(counts.sum())
        if total:
            query = np.repeat(np.arange(len(lo)), counts)
            offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            change = link_change[np.repeat(lo, counts) + offsets]
            guard = q_guard[query]
            hit = c_end[change] > g_start[guard]
            for ci, gi in set(zip(change[hit].tolist(), guard[hit].tolist(), strict=True)):
                g = guards[plain[gi]]
                pairs.add((int(c_ids[ci]), g[0], g[1]))
    for g in guards:
        if g[5]:  # organisation-wide: every change in the window
            for ci in np.nonzero((c_start < g[3]) & (c_end > g[2]))[0].tolist():
                pairs.add((int(c_ids[ci]), g[0], g[1]))
    return pairs


def find_pairs(changes, guards, dependencies):
    """overlap_pairs over plain tuples: changes [(id, start, end, services)] with datetimes or epoch seconds."""
    import numpy as np
    def sec(value):
        return int(value.timestamp()) if isinstance(value, datetime) else int(value)

    c_ids = np.array([c[0] for c in changes], dtype=np.int64)
    c_start = np.array([sec(c[1]) for c in changes], dtype=np.int64)
    c_end = np.array([sec(c[2]) for c in changes], dtype=np.int64)
    links = [(i, s) for i, c in enumerate(changes) for s in c[3]]
    link_change = np.array([link[0] for link in links], dtype=np.int64)
    link_service = np.array([link[1] for link in links], dtype=np.int64)
    guards = [(g[0], g[1], sec(g[2]), sec(g[3]), g[4], g[5]) for g in guards]
    return overlap_pairs(c_ids, c_start, c_end, link_change, link_service, guards, dependencies)


def _instant(column):
    """SQL for a column's instant in whole epoch seconds, so 200,000 rows need no datetime objects."""
    if connection.vendor == "postgresql":
        return f'CAST(FLOOR(EXTRACT(EPOCH FROM "{column}")) AS BIGINT)'
    return f"CAST(strftime('%%s', \"{column}\") AS INTEGER)"


def scan_pairs(since=None):
    """Load every window (ending after `since`, if given) and find the pairs. Returns (pairs, stats)."""
    import numpy as np  # here, not at the top: the sweeps registry loads this module in every process
    c_t, e_t, f_t = Change._meta.db_table, Event._meta.db_table, FreezeWindow._meta.db_table
    cs_t, es_t = Change.services.through._meta.db_table, Event.services.through._meta.db_table
    fs_t = FreezeWindow.services.through._meta.db_table
    statuses = list(SCANNED_CHANGE_STATUSES)
    marks = ", ".join(["%s"] * len(statuses))
    after = ' AND "end" > %s' if since is not None else ""
    tail = [connection.ops.adapt_datetimefield_value(since)] if since is not None else []
    start, end, guard = _instant("start"), _instant("end"), _instant("guard_start")
    rows = np.array(_fetch(f"SELECT id, {start}, {end} FROM {c_t} WHERE status IN ({marks}){after} ORDER BY id",
                           [*statuses, *tail]), dtype=np.int64).reshape(-1, 3)
    c_ids, c_start, c_end = rows[:, 0], rows[:, 1], rows[:, 2]
    links = np.array(_fetch(f"SELECT change_id, service_id FROM {cs_t}"), dtype=np.int64).reshape(-1, 2)
    position = np.searchsorted(c_ids, links[:, 0])
    known = (position < len(c_ids)) & (c_ids[np.minimum(position, max(len(c_ids) - 1, 0))] == links[:, 0]) \
        if len(c_ids) else np.zeros(len(links), dtype=bool)
    link_change, link_service = position[known], links[known, 1]

    event_rows = _fetch(f"SELECT id, {guard}, {end} FROM {e_t} WHERE status = %s{after}",
                        [Event.Status.SCHEDULED, *tail])
    event_services = _grouped(_fetch(f"SELECT event_id, service_id FROM {es_t}"))
    freeze_rows = _fetch(f"SELECT id, {start}, {end}, org_wide FROM {f_t} WHERE 1 = 1{after}", tail)
    freeze_services = _grouped(_fetch(f"SELECT freezewindow_id, service_id FROM {fs_t}"))

    edges = _fetch(f"SELECT service_id, depends_on_id FROM {ServiceDependency._meta.db_table}")
    down = defaultdict(list)
    for service, depends_on in edges:
        down[service].append(depends_on)
    dependencies = closures(down)

    guards = [(Conflict.Kind.EVENT, eid, gs, ge, event_services.get(eid, ()), False) for eid, gs, ge in event_rows]
    guards += [(Conflict.Kind.FREEZE, fid, fs, fe, freeze_services.get(fid, ()), bool(org_wide))
               for fid, fs, fe, org_wide in freeze_rows]
    pairs = overlap_pairs(c_ids, c_start, c_end, link_change, link_service, guards, dependencies)
    stats = {"changes": len(c_ids), "events": len(event_rows), "freezes": len(freeze_rows),
             "edges": len(edges), "conflicts": len(pairs)}
    return pairs, stats


def _path_for(change_services, target_services, dependencies_graph):
    """Shortest chain from one of the target's services down to one of the change's services."""
    from liaison.org.services import dependency_path

    best = None
    for t in target_services:
        for s in change_services:
            chain = [t] if t == s else dependency_path(dependencies_graph, t, s)
            if chain and (best is None or len(chain) < len(best)):
                best = chain
    return best or []


def full_scan(now, since=None, notify=True):
    """Find every conflict from scratch and reconcile the stored ones. Returns the scan's stats.

    Existing conflicts whose path is still valid keep it; paths (a graph walk each) are
    computed only for new conflicts, so a steady-state scan costs little beyond the sweep.
    """
    pairs, stats = scan_pairs(since)
    existing = Conflict.objects.all()
    if since is not None:
        existing = existing.filter(change__end__gt=since)
    unsettled = set(Conflict.UNSETTLED)
    stored = {}  # key -> (pk, unsettled?)
    for pk, kind, change_id, event_id, freeze_id, status in existing.values_list(
            "pk", "kind", "change_id", "event_id", "freeze_id", "status").order_by():
        stored[(change_id, kind, event_id if kind == Conflict.Kind.EVENT else freeze_id)] = (pk, status in unsettled)
    # Only what is new, back, gone or may have changed severity needs the full reconciliation.
    needs = {key for key in pairs if key not in stored or not stored[key][1]}
    needs |= {key for key, (_pk, open_) in stored.items() if open_ and key not in pairs}
    soon_changes = set(Change.objects.filter(start__lte=now + SOON, end__gt=now).values_list("pk", flat=True))
    needs |= {key for key in pairs if key[0] in soon_changes}
    stats["to_reconcile"] = len(needs)
    if not needs:
        stats.update(created=0, reopened=0, settled=0)
        return stats
    change_ids = {k[0] for k in needs}
    changes = Change.objects.select_related("team").prefetch_related("services").in_bulk(change_ids)
    events = Event.objects.select_related("team").prefetch_related("services").in_bulk(
        {k[2] for k in needs if k[1] == Conflict.Kind.EVENT})
    freezes = FreezeWindow.objects.prefetch_related("services").in_bulk(
        {k[2] for k in needs if k[1] == Conflict.Kind.FREEZE})
    from liaison.org.services import dependency_edges

    graph = dependency_edges()
    known_paths = dict(Conflict.objects.filter(
        pk__in=[stored[k][0] for k in needs if k in stored and stored[k][1]]).values_list("pk", "path"))
    all_names = {}
    findings = []
    for key in needs:
        if key not in pairs:
            continue
        change_id, kind, target_id = key
        change = changes[change_id]
        target = events[target_id] if kind == Conflict.Kind.EVENT else freezes[target_id]
        if key in stored and known_paths.get(stored[key][0]):
            path_names = known_paths[stored[key][0]]
        elif kind == Conflict.Kind.FREEZE and target.org_wide:
            path_names = []
        else:
            chain = _path_for([s.pk for s in change.services.all()], [s.pk for s in target.services.all()], graph)
            missing = set(chain) - set(all_names)
            if missing:
                all_names.update(_names(missing))
            path_names = [all_names.get(pk, str(pk)) for pk in chain]
        findings.append(Finding(change, kind, target, path_names, now))
    created = reopened = settled = 0
    affected = Conflict.objects.filter(pk__in=[stored[k][0] for k in needs if k in stored])
    c, r, s = reconcile(findings, affected, now, notify=notify)
    created, reopened, settled = created + c, reopened + r, settled + s
    stats.update(created=created, reopened=reopened, settled=settled)
    return stats
