"""The moves: each constructive step wired to the action in Liaison that carries it out.

A move knows its label, where the step happens (`url(subject)`: the form on the object's
page, the scheduling assistant, the invitation form...), whether the viewer may take it
now (`blocked(subject, viewer, now)` → None, or (why not, the move that allows it)), and
which trace in the domains' history shows it was taken (outcomes.py). Which moves a
situation offers, to whom and in what order is data: models.Rule.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse


@dataclass(frozen=True)
class Move:
    code: str
    label: str
    url: object  # url(subject) -> str
    blocked: object = None  # blocked(subject, viewer, now) -> None | (why, enabling move code)
    post: str = ""  # an action name the home page can run inline (requests: ACTIONS name)
    statuses: tuple = ()  # a request move applies only in these statuses (dropped, not "not yet")

    def applies(self, subject):
        return not self.statuses or subject.kind != "request" or subject.obj.status in self.statuses


OPEN = ("submitted", "acknowledged", "committed")


def _request_form(action):
    return lambda s: f"{s.link}?do={action}#act-{action}"


def _playbook(view, **extra):
    return lambda s: f"{reverse(view)}?{urlencode({'about': s.link, **extra})}"


def _escalation_blocked(subject, viewer, now):
    """Escalation opens the day after a warning's deadline: say why not yet, and offer the warning."""
    from liaison.requests.services import local_today

    r, warning = subject.obj, subject.facts.get("warning")
    if warning is None:
        return ("Escalating needs a warning first: say when you will ask for help, then allow the grace period.",
                "warn")
    if r.escalated_at and r.escalated_at >= warning.at:
        return "Already escalated after the last warning; warn again first.", "warn"
    today = local_today(r.service, now)
    if today <= warning.deadline:
        return (f"You warned that you would escalate if this was not settled by {warning.deadline:%a %d %b}: "
                f"escalation opens on {warning.deadline + timedelta(days=1):%a %d %b}.", "book_call")
    return None


def _warn_blocked(subject, viewer, now):
    from liaison.requests.services import local_today

    warning = subject.facts.get("warning")
    if warning is not None and local_today(subject.obj.service, now) <= warning.deadline:
        return f"You already warned; the grace period runs until {warning.deadline:%a %d %b}.", "book_call"
    return None


def _thank_blocked(subject, viewer, now):
    if subject.facts.get("thanked"):
        return "Thanks were already sent.", None
    return None


def _lead_only(subject, viewer, now):
    """Accepting a conflict's risk is for the customer team's lead (agenda.services.is_lead)."""
    c = subject.obj
    team = c.event.team if c.event_id else c.freeze.team
    if viewer.is_org_admin or (team is not None and team.lead_id == viewer.pk):
        return None
    lead = team.lead.name if team is not None and team.lead_id else "the team lead"
    return f"Only the customer team's lead may accept the risk: ask {lead}.", "book_call"


def _conflict_anchor(anchor):
    return lambda s: f"{s.link}#{anchor}"


MOVES = {m.code: m for m in [
    # requests
    Move("acknowledge", "Acknowledge it now", _request_form("acknowledge"), post="acknowledge",
         statuses=("submitted",)),
    Move("commit", "Commit to a date, or offer options", _request_form("commit"),
         statuses=("submitted", "acknowledged")),
    Move("offer_options", "Offer options (a partial delivery, another date)", _request_form("comment"), statuses=OPEN),
    Move("progress", "Own it: post progress and the new plan", _request_form("progress"), statuses=OPEN),
    Move("slip", "Change the commitment, with the reason", _request_form("slip"), statuses=("committed",)),
    Move("raise_blocker", "Say what is in the way (raise a blocker)", _request_form("blocker"), statuses=OPEN),
    Move("warn", "Warn before escalating", _request_form("warn"), blocked=_warn_blocked, statuses=OPEN),
    Move("escalate", "Escalate", _request_form("escalate"), blocked=_escalation_blocked, statuses=OPEN),
    Move("accept", "Accept the delivery", _request_form("accept"), statuses=("delivered",)),
    Move("reopen", "Reopen as rework", _request_form("reopen"), statuses=("delivered",)),
    Move("thank", "Write the thanks", _request_form("thank"), blocked=_thank_blocked,
         statuses=("delivered", "accepted")),
    Move("log_impact", "Log the impact", lambda s: (f"{s.link}?do=comment#act-comment" if s.kind == "request"
                                                    else f"{s.link}#impacts" if s.kind == "incident"
                                                    else f"{s.link}#comment-text")),
    # agenda
    Move("ask_delay", "Ask for a delay", _conflict_anchor("delay-text")),
    Move("reschedule", "Propose a reschedule (scheduling assistant)",
         lambda s: f"{s.obj.change.get_absolute_url()}#assistant"),
    Move("mitigate", "Write the mitigation plan", _conflict_anchor("plan-text")),
    Move("accept_risk", "Accept the risk", _conflict_anchor("accept-text"), blocked=_lead_only),
    Move("invite_teams", "Invite the other affected teams",
         lambda s: f"{s.link}#teams" if s.kind == "incident" else _playbook("playbook:invite", purpose="affected")(s)),
    Move("retrospective", "Propose the retrospective",
         lambda s: (f"{s.link}#retrospective" if s.kind == "incident"
                    else _playbook("playbook:invite", purpose="retrospective")(s))),
    # incidents
    Move("causes", "Write the causes (systems and processes, no blame)", lambda s: f"{s.link}#causes"),
    # anywhere
    Move("book_call", "Book a call", _playbook("playbook:invite", purpose="call")),
    Move("book_meeting", "Meet face to face", _playbook("playbook:invite", purpose="meeting")),
    Move("business_case", "Draft the business case for management",
         lambda s: (reverse("insights:business_case", args=[s.obj.pk]) if s.kind == "incident"
                    else _playbook("playbook:business_case")(s))),
    # network
    Move("log_interaction", "Log a conversation with them", lambda s: reverse("network_log")),
    Move("homework", "Plan homework: reach out to one of them", lambda s: reverse("network_homework")),
]}
