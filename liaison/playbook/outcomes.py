"""What followed a suggestion: was it taken, and did things get better?

The `playbook.outcomes` sweep reads the domains' own history — request events, conflict
entries, cleared nudges, the playbook's invitations — rather than counting clicks, so a
move taken by mail, the API or the CLI counts as much as one taken on a page:

* taken: the suggested person did the move's action on that object after it was shown;
* outcome, once known: resolved (delivered or accepted; conflict settled; nudge cleared),
  slipped again (a new slip after it was shown), escalated (an escalation after it);
  still open after OPEN_AFTER days.

Idempotent: it only fills blanks, so two workers running it at once write the same values.
"""

import re
from collections import defaultdict
from datetime import timedelta

from django.db.models import Q

from liaison.core.sweeps import sweep

from .models import Invitation, Outcome, Suggestion

OPEN_AFTER = timedelta(days=60)
BATCH = 500

REQUEST_EVIDENCE = {
    "acknowledge": "acknowledged", "commit": "committed", "offer_options": "commented", "progress": "progress",
    "slip": "slipped", "raise_blocker": "blocked", "warn": "warned", "escalate": "escalated", "accept": "accepted",
    "reopen": "reopened", "thank": "thanked", "log_impact": "commented",
}
CONFLICT_EVIDENCE = {"ask_delay": ("delay_asked",), "mitigate": ("resolved",), "accept_risk": ("resolved",),
                     "log_impact": ("comment",)}
INVITING = {"book_call", "book_meeting", "invite_teams", "retrospective"}
_ID = re.compile(r"(\d+)")


def _pk(about):
    found = _ID.search(about)
    return int(found.group(1)) if found else None


def _request_facts(ids):
    from liaison.requests.models import Escalation, RequestEvent, Slip

    events = defaultdict(list)
    for rid, kind, actor, at in RequestEvent.objects.filter(request_id__in=ids).values_list(
            "request_id", "kind", "actor_id", "at"):
        events[rid].append((kind, actor, at))
    slips, escalations = defaultdict(list), defaultdict(list)
    for rid, at in Slip.objects.filter(request_id__in=ids).values_list("request_id", "at"):
        slips[rid].append(at)
    for rid, at in Escalation.objects.filter(request_id__in=ids).values_list("request_id", "at"):
        escalations[rid].append(at)
    return events, slips, escalations


def _judge_request(s, rid, events, slips, escalations):
    after = [(kind, actor, at) for kind, actor, at in events.get(rid, []) if at >= s.shown_at]
    kind = REQUEST_EVIDENCE.get(s.move)
    taken = next((at for k, actor, at in after if k == kind and actor == s.person_id), None)
    if any(at >= s.shown_at for at in escalations.get(rid, [])) and s.move != "escalate":
        return taken, Outcome.ESCALATED, max(escalations[rid])
    if any(at > s.shown_at for at in slips.get(rid, [])) and s.move != "slip":
        return taken, Outcome.SLIPPED, max(slips[rid])
    done = next((at for k, _, at in after if k in ("delivered", "accepted", "thanked")), None)
    if done:
        return taken, Outcome.RESOLVED, done
    return taken, None, None


def judge(now):
    """Fill taken_at and outcome on every pending suggestion, BATCH at a time; returns how many changed."""
    last, changed = 0, 0
    while True:
        pending = list(Suggestion.objects.filter(outcome="", pk__gt=last).order_by("pk")[:BATCH])
        if not pending:
            return changed
        changed += _judge_batch(pending, now)
        last = pending[-1].pk


def _judge_batch(pending, now):
    from liaison.agenda.models import Conflict, ConflictEntry
    from liaison.network.models import Nudge

    by_kind = defaultdict(set)
    for s in pending:
        by_kind[s.about.split("/")[1] if s.about.startswith("/") else ""].add(_pk(s.about))
    events, slips, escalations = _request_facts(by_kind.get("requests", set()))
    conflicts = {c.pk: c for c in Conflict.objects.filter(pk__in=by_kind.get("agenda", set()))}
    entries = defaultdict(list)
    for cid, kind, author, at in ConflictEntry.objects.filter(conflict_id__in=conflicts).values_list(
            "conflict_id", "kind", "author_id", "at"):
        entries[cid].append((kind, author, at))
    nudges = {n.pk: n for n in Nudge.objects.filter(pk__in=by_kind.get("network", set()))}
    invitations = defaultdict(list)
    for organiser, about, at in Invitation.objects.filter(
            Q(about__in={s.about for s in pending})).values_list("organiser_id", "about", "created_at"):
        invitations[(organiser, about)].append(at)
    changed = []
    for s in pending:
        pk, taken, outcome, outcome_at = _pk(s.about), None, None, None
        if s.about.startswith("/requests/"):
            taken, outcome, outcome_at = _judge_request(s, pk, events, slips, escalations)
        elif s.about.startswith("/agenda/conflicts/") and pk in conflicts:
            kinds = CONFLICT_EVIDENCE.get(s.move, ())
            taken = next((at for k, a, at in entries[pk] if k in kinds and a == s.person_id and at >= s.shown_at),
                         None)
            c = conflicts[pk]
            if c.status in ("resolved", "withdrawn") and c.settled_at and c.settled_at >= s.shown_at:
                outcome, outcome_at = Outcome.RESOLVED, c.settled_at
        elif s.about.startswith("/network/nudges/") and pk in nudges:
            n = nudges[pk]
            if n.cleared_at and n.cleared_at >= s.shown_at:
                outcome, outcome_at = Outcome.RESOLVED, n.cleared_at
                if s.move == "log_interaction":
                    taken = n.cleared_at
        if s.move in INVITING:
            taken = next((at for at in invitations.get((s.person_id, s.about), []) if at >= s.shown_at), taken)
        if outcome is None and now - s.shown_at >= OPEN_AFTER:
            outcome, outcome_at = Outcome.OPEN, now
        if (taken != s.taken_at and taken is not None) or outcome:
            s.taken_at = s.taken_at or taken
            s.outcome, s.outcome_at = outcome or "", outcome_at
            changed.append(s)
    Suggestion.objects.bulk_update(changed, ["taken_at", "outcome", "outcome_at"])
    return len(changed)


@sweep("playbook.outcomes", every=600)
def record_outcomes(now):
    return judge(now)
