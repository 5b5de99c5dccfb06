"""The request coach: advice while a request is written. Advice, never a block.

Each rule is a function `rule(draft) -> Advice | list[Advice] | None`, listed in RULES;
later work extends the coach by appending rules. A draft is a mapping with any of:
title, context, need_by (date or None), date_kind, options, short_notice (bool),
short_notice_owned. `draft_for(service, data, now)` fills short_notice from a service.
"""

import re
from dataclasses import asdict, dataclass

THIN_CONTEXT_WORDS = 12
DEMANDING = re.compile(r"\b(asap|a\.s\.a\.p|immediately|right now|drop everything|urgent(ly)?\s*!+|"
                       r"top priority|no excuses|by end of day|eod)\b|!{2,}", re.IGNORECASE)
CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(frozen=True)
class Advice:
    code: str
    field: str
    message: str

    def as_dict(self):
        return asdict(self)


def missing_or_thin_context(draft):
    words = len((draft.get("context") or "").split())
    if words == 0:
        return Advice("context_missing", "context",
                      "Say why this matters to you and what happens if it is missed: people help when they "
                      "see the stakes.")
    if words < THIN_CONTEXT_WORDS:
        return Advice("context_thin", "context",
                      "The context is short. Add what it serves (a client, a milestone) and what a miss would "
                      "cost, so the other team can weigh it against their own commitments.")
    return None


def missing_date(draft):
    if not draft.get("need_by"):
        return Advice("date_missing", "need_by", "Give a need-by date: an ask without a deadline is hard to plan.")
    return None


def hard_date_without_options(draft):
    if draft.get("date_kind") == "hard" and not (draft.get("options") or "").strip():
        return Advice("hard_date_no_options", "options",
                      "The date is hard: offer options (any day that week, a partial delivery first) and let "
                      "them tell you how they can meet it.")
    return None


def demanding_wording(draft):
    advice = []
    for field in ("title", "context"):
        text = draft.get(field) or ""
        match = DEMANDING.search(text)
        if match:
            advice.append(Advice("demanding_wording", field,
                                 f"“{match.group(0)}” reads as a demand. Say what depends on it and when instead."))
        caps = CAPS_WORD.findall(text)
        if len(caps) >= 2 and sum(map(len, caps)) >= max(12, len(text.replace(" ", "")) // 4):
            advice.append(Advice("all_capitals", field, "Capital letters read as shouting; write it in normal case."))
    return advice


def short_notice_not_owned(draft):
    if draft.get("short_notice") and not (draft.get("short_notice_owned") or "").strip():
        return Advice("short_notice_not_owned", "short_notice_owned",
                      "This is less notice than the service's lead time. Own it in a sentence (why it is late, "
                      "that you know it is an imposition); the provider will see it.")
    return None


RULES = [missing_or_thin_context, missing_date, hard_date_without_options, demanding_wording,
         short_notice_not_owned]


def coach(draft, rules=None):
    """Every piece of advice the rules give for `draft`, in rule order."""
    advice = []
    for rule in rules or RULES:
        result = rule(draft)
        if isinstance(result, Advice):
            advice.append(result)
        elif result:
            advice.extend(result)
    return advice


def draft_for(service, data, now):
    """`data` plus short_notice and notice_business_days computed for `service` at `now`."""
    from liaison.requests.services import local_today, notice_for

    draft = dict(data)
    if service is not None and draft.get("need_by"):
        notice = notice_for(service, draft["need_by"], local_today(service, now))
        draft["notice_business_days"] = notice
        draft["short_notice"] = notice < service.lead_time_days
    return draft
