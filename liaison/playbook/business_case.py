"""Brief senior managers with numbers (seed 002): a draft business case from the facts.

The draft is text the person copies into a mail or a slide and edits; every figure in
it comes from the domains' records of what it is about, so nobody has to dig them up.
"""

from django.utils import timezone


def draft(subject, now):
    obj = subject.obj
    if subject.kind == "request":
        lines = [f"Subject: help needed — {obj.title}", "",
                 f"{obj.requester_team} asked {obj.provider_team} ({obj.service}) for: {obj.title}.",
                 f"Needed by {obj.need_by:%a %d %b %Y} ({obj.get_date_kind_display().lower()})."]
        if obj.milestone:
            lines.append(f"It serves: {obj.milestone}.")
        if obj.committed_date:
            late = (obj.committed_date - obj.need_by).days
            lines.append(f"Committed date: {obj.committed_date:%a %d %b %Y}"
                         + (f", {late} days after the need-by date." if late > 0 else "."))
        if obj.slip_count:
            lines.append(f"The commitment has changed {obj.slip_count} time{'s' if obj.slip_count != 1 else ''}.")
        if obj.open_blockers:
            lines.append(f"Open blockers: {obj.open_blockers}.")
        lines += ["", "Why it matters:", obj.context, "",
                  "What a miss costs: <the figure: revenue, customers, penalty, people-days>",
                  "What we ask for: <a decision, people, a priority call> by <date>"]
    elif subject.kind == "conflict":
        other = obj.event if obj.event_id else obj.freeze
        lines = [f"Subject: decision needed — {obj.change.title} against {other.title}", "",
                 f"{obj.change.team} plans '{obj.change.title}' "
                 f"(from {timezone.localtime(obj.change.start):%a %d %b %H:%M} "
                 f"to {timezone.localtime(obj.change.end):%H:%M}).",
                 f"It collides with {other.team}'s '{other.title}'"
                 + (f" for {other.audience}" if getattr(other, "audience", "") else "") + ".",
                 f"Severity: {obj.get_severity_display().lower()} (score {obj.score}).",
                 f"Why: {obj.reason}", "",
                 "What the collision costs: <the figure>",
                 "Options: move the change (the scheduling assistant proposes windows), mitigate, or accept the risk.",
                 "What we ask for: <a decision> by <date>"]
    else:
        lines = [f"Subject: {subject.title}", "", subject.obj.reason]
    return "\n".join(lines)
