"""The playbook as shipped: seeds 000, 002 and 004 turned into ranked moves.

Loaded into models.Rule by migration 0002 (and `load_defaults()` for tests); from then
on the rules are the org admins' to edit. Each row: situation, move, side, reason.
Rank is the order within the situation (one scale for every side, so a move for either
side falls where it is listed).
"""

A, S, E = "asking", "serving", "either"

DEFAULT_RULES = [
    # A collision with the customer's event: seek a delay, ally, log, ask for the retrospective.
    ("conflict", "ask_delay", A, "The cheapest fix is time: ask the service team to move the change before it lands."),
    ("conflict", "book_call", A, "A five-minute call settles a collision faster than a thread of mails."),
    ("conflict", "invite_teams", A, "Other teams depend on the same services: allies make the case stronger."),
    ("conflict", "log_impact", A, "Write down what the collision would cost, in numbers, while it is fresh."),
    ("conflict", "accept_risk", A, "If the change must go ahead, accepting the risk in writing ends it."),
    ("conflict", "business_case", A, "Senior managers decide on numbers: brief them with the audience and cost."),
    ("conflict", "retrospective", A, "Ask for a retrospective so the next change is announced earlier."),
    ("conflict", "reschedule", S, "The scheduling assistant finds the nearest window that collides with nobody."),
    ("conflict", "book_call", S, "Call the customer lead: they hear it from you before they read it."),
    ("conflict", "mitigate", S, "If the window cannot move, a written plan shows how the event is protected."),
    ("conflict", "invite_teams", S, "Tell every affected team at once rather than one by one."),
    # A commitment overdue: own it; the other side warns before escalating.
    ("overdue", "progress", S, "Own it when you are late: say where it stands and the new plan before you are asked."),
    ("overdue", "slip", S, "A new date with its reason lets the requester replan today."),
    ("overdue", "raise_blocker", S, "If something is in the way, say so: both sides see a blocker."),
    ("overdue", "book_call", A, "Ask what is in the way before anything else; people help those who ask kindly."),
    ("overdue", "warn", A, "Warn before you escalate: say when you will ask for help, and give them the time."),
    ("overdue", "escalate", A, "After the grace period, asking management for help is fair and expected."),
    # Moved past a hard date.
    ("past_hard_date", "book_call", E, "A hard date missed needs a talk, not a mail: agree what can still be met."),
    ("past_hard_date", "offer_options", S, "Offer what you can deliver by the hard date (a part, a workaround)."),
    ("past_hard_date", "log_impact", A, "Log what missing the hard date costs: it is the basis of any business case."),
    ("past_hard_date", "warn", A, "Warn before escalating, with the date you need a decision by."),
    ("past_hard_date", "business_case", A, "Draft the business case: what the miss costs against the help."),
    # A second slip.
    ("second_slip", "book_call", E, "Twice is a pattern: talk it through rather than move the date a third time."),
    ("second_slip", "raise_blocker", S, "Name what keeps moving the date, so both sides can work on it."),
    ("second_slip", "warn", A, "Warn before escalating: a second slip is the moment to set a date."),
    ("second_slip", "business_case", A, "If it needs more people, management needs the numbers."),
    # Short notice, received or sent.
    ("short_notice", "acknowledge", S, "Acknowledge at once: the requester knows the notice is short and is waiting."),
    ("short_notice", "commit", S, "Say what you can do by when, or offer options: a fast answer beats a late yes."),
    ("short_notice", "book_call", E, "On short notice a call finds the option that works in minutes."),
    ("short_notice", "offer_options", A, "Offer options (a partial delivery, any day that week) to make it possible."),
    # A delivery.
    ("delivery", "accept", A, "Accept it, or say what is missing: the providers are waiting to close it."),
    ("delivery", "thank", A, "Thank the people who delivered and say what it made possible: it fills the well."),
    ("delivery", "reopen", A, "If something is missing, reopen it now rather than work around it."),
    # An incident: log, ally, ask for the retrospective, brief senior managers with numbers.
    ("incident", "log_impact", A, "Log the impact in numbers while it happens: it is the basis of every ask."),
    ("incident", "invite_teams", A, "Other teams were hit too: together the case is stronger."),
    ("incident", "retrospective", E, "Ask for the retrospective now, so the next change is announced earlier."),
    ("incident", "business_case", A, "Senior managers decide on numbers: brief them with the impacts."),
    ("incident", "book_call", S, "Call the affected leads: they hear it from you before they read it."),
    ("incident", "causes", S, "Write the causes (systems and processes, no names) so all sides learn."),
    # A relationship gone quiet: dig the well before you are thirsty.
    ("quiet", "book_meeting", A, "Dig the well before you are thirsty: meet them before you need them."),
    ("quiet", "log_interaction", A, "If you did talk to them, log it so the nudge clears."),
    ("quiet", "homework", A, "Plan homework: pick one colleague there, reach out, add value, report back."),
    # A new lead on the other side.
    ("new_lead", "book_meeting", E, "Meet the new lead early, while there is nothing to ask for yet."),
    # A long or heated thread: email is not your friend.
    ("heated_thread", "book_call", E, "Email is not your friend here: a call settles what mail inflames."),
    ("heated_thread", "book_meeting", E, "If it matters, meet face to face: tone survives a room, not a thread."),
]


def load_defaults(Rule):
    """Create the shipped rules that do not exist yet (never overwrite an admin's edit)."""
    ranks = {}
    for situation, move, side, reason in DEFAULT_RULES:
        ranks[situation] = ranks.get(situation, 0) + 1
        Rule.objects.get_or_create(situation=situation, move=move, side=side,
                                   defaults={"rank": ranks[situation], "reason": reason})
