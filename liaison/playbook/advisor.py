"""Situation → ranked moves for one viewer: the playbook's one entry point.

`advise(subjects, viewer, now)` detects the situations of each subject, takes the
enabled rules for the viewer's side(s) in rank order, drops what the viewer is not
party to, and marks moves not yet allowed with why and the move that allows them.
It records every suggestion shown (one INSERT ... ON CONFLICT DO NOTHING for the lot).
Rules are read once per call: advising fifty subjects costs the same queries as one.
"""

from dataclasses import dataclass, field

from .models import Rule, Side, Suggestion
from .moves import MOVES
from .situations import detect, situation_label


@dataclass
class Step:
    situation: str
    move: str
    label: str
    reason: str
    url: str
    post: str = ""
    blocked: str = ""  # why it is not allowed yet
    enabling: "Step | None" = None  # the step that allows it


@dataclass
class Advice:
    situation: str
    label: str
    headline: str
    steps: list = field(default_factory=list)

    @property
    def allowed(self):
        return [s for s in self.steps if not s.blocked]


def viewer_sides(subject, viewer):
    """The sides `viewer` acts on for `subject`: {"asking", "serving"} or a part of it."""
    from liaison.requests.services import team_ids_of

    mine = team_ids_of(viewer)
    obj, sides = subject.obj, set()
    if subject.kind == "request":
        if obj.requester_team_id in mine:
            sides.add(Side.ASKING)
        if obj.provider_team_id in mine:
            sides.add(Side.SERVING)
    elif subject.kind == "conflict":
        other = obj.event if obj.event_id else obj.freeze
        if other is not None and other.team_id in mine:
            sides.add(Side.ASKING)
        if obj.change.team_id in mine:
            sides.add(Side.SERVING)
    elif subject.kind == "nudge" and obj.team_id in mine:
        sides.add(Side.ASKING)
    elif subject.kind == "incident":
        roles = subject.facts.get("roles") or {}
        if roles.get("affected", set()) & mine:
            sides.add(Side.ASKING)
        if roles.get("service", set()) & mine:
            sides.add(Side.SERVING)
    return sides


def rule_table(rules=None):
    """{situation: [Rule]} of enabled rules in rank order."""
    table = {}
    for rule in rules if rules is not None else Rule.objects.filter(enabled=True).order_by("rank", "id"):
        if rule.enabled and rule.move in MOVES:
            table.setdefault(rule.situation, []).append(rule)
    return table


def _step(situation, move_code, reason, subject, viewer, now):
    move = MOVES[move_code]
    step = Step(situation, move.code, move.label, reason, move.url(subject), post=move.post)
    if move.blocked:
        blocked = move.blocked(subject, viewer, now)
        if blocked:
            step.blocked, enabling = blocked
            if enabling and enabling in MOVES:
                other = MOVES[enabling]
                step.enabling = Step(situation, other.code, other.label, "", other.url(subject), post=other.post)
    return step


def advise_one(subject, viewer, now, table):
    sides = viewer_sides(subject, viewer)
    if not sides:
        return []
    advice = []
    for side in sorted(sides):
        subject.facts["viewer_side"] = side
        for code, headline in detect(subject, now):
            rules = [r for r in table.get(code, []) if r.side in (side, Side.EITHER)]
            steps, seen = [], set()
            for rule in rules:
                if rule.move in seen or not MOVES[rule.move].applies(subject):
                    continue
                seen.add(rule.move)
                step = _step(code, rule.move, rule.reason, subject, viewer, now)
                if step.blocked and step.enabling is None and rule.move == "thank":
                    continue  # "Say thank you" is no longer offered once thanks were sent
                steps.append(step)
            if steps and not any(a.situation == code for a in advice):
                advice.append(Advice(code, situation_label(code), headline, steps))
    subject.facts.pop("viewer_side", None)
    return advice


def advise(subjects, viewer, now, *, rules=None, record=True):
    """{subject link: [Advice]} for `viewer`; records what was shown unless record=False."""
    table = rule_table(rules)
    result = {}
    for subject in subjects:
        advice = advise_one(subject, viewer, now, table)
        if advice:
            result[subject.link] = advice
    if record and result:
        record_shown(viewer, result, now)
    return result


def record_shown(viewer, result, now):
    rows = [Suggestion(person_id=viewer.pk, situation=a.situation, move=s.move, about=link, rank=rank,
                       shown_at=now)
            for link, advice in result.items() for a in advice
            for rank, s in enumerate(a.steps, 1) if not s.blocked]
    Suggestion.objects.bulk_create(rows, ignore_conflicts=True)
