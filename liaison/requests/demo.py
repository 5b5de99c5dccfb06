"""Demo requests: two years of asking and answering between the demo enterprise's teams.

    build_requests(rng, enterprise, now)    # a step of liaison.demo.builder.STEPS

Every request lives its life through the real services (submit_request, acknowledge,
commit_to_date, change_commitment, deliver, accept, ...), each called with its `now`
set to the moment it happens, so events, slips, counters and notifications agree as
they would in production. A life is written as a story (`_Life`): moments after the
demo's present simply do not happen, so recent requests are still open — submitted,
acknowledged, committed, overdue — and the inbox and reminders have something to show.

The seeds' stories:
- seed 000: the Remote Office — Singapore waits on HQ Finance Operations. Requests come
  with context and, now and then, a heads-up forecast ("80 % likely, we will know by
  ..."). Answers are slow in the first year; after the second people exchange (the
  network step, about ten months ago) they come within hours. Thanks when delivered.
- seed 003: the Offshore Back-Office Partner serves Claims Operations. Fine during the
  start-up months; then slower acknowledgements, deadlines extended again and again,
  lower quality and rework, warnings and escalations. Requesters recorded as women
  wait longer than men (planted for the fairness audit; both groups have dozens of
  requests at any demo size).
- seed 004: the Emergency Department asks the In-patient Unit for beds: same-day,
  short notice owned in a sentence, hard dates, and — more often in the first year —
  wording the request coach flags ("ASAP", capitals).
- seed 002: Product Marketing's requests around its customer events, past and coming
  ("Meet the architect", the day the agenda step puts it), to Collaboration Services,
  Product Architecture and the Network Group.
Around them, ordinary requests between other teams, scaled with the enterprise's size
(capped, so that 50,000 people stay a few minutes).
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from liaison.notify.services import mark_sent_before

from . import services as s
from .demo_life import (  # noqa: F401 - the stories use the machinery by name
    BACKGROUND_MAX,
    BACKGROUND_PER_PERSON,
    DAYS,
    EXCHANGE_DAYS_AGO,
    LATE_BECAUSE,
    OWNING,
    START_UP_DAYS,
    _asked_at,
    _bday,
    _later,
    _Life,
    _lognormal_hours,
    _on,
    _tz,
    _World,
)
from .models import Request, RequestEvent

# --- the step -------------------------------------------------------------------------

def build_requests(rng, enterprise, now):
    """Two years of requests through the real services, then the history's mail marked as sent."""
    w = _World(rng, enterprise, now)
    background = min(BACKGROUND_MAX, round(enterprise.size * BACKGROUND_PER_PERSON))
    w.total = background + 110 + 230 + 160 + 12
    _remote_office(w)
    _offshore_partner(w)
    _emergency_department(w)
    _customer_events(w)
    _background(w, background)
    settled = _settle_history(now)
    enterprise.report("requests", w.total, w.total)
    enterprise.counts.update({"requests": Request.objects.count(), "request events": RequestEvent.objects.count(),
                              "open requests": Request.objects.open().count(), "past notifications": settled})


def _settle_history(now):
    """Mark the history's notifications as sent.

    Every service call queued its notifications at the moment it happened, two years
    back to yesterday. They are the record of what people were told, so they are kept,
    but as already sent (sent_at = created_at): otherwise the demo's worker would mail
    thousands of two-year-old messages at start. Today's stay pending and go out, as
    they would have. In the app, what is older than a week was read long ago (a person's
    unread count starts with the last days, not two years of history).
    """
    midnight = datetime.combine(timezone.localdate(now), time.min, timezone.get_current_timezone())
    return mark_sent_before(midnight, read_before=now - timedelta(days=7))


# --- seed 000: the remote office waiting on HQ -------------------------------------------

REMOTE_ASKS = [
    ("Purchase orders", "Purchase order for the {client} distributor's demo units",
     "{client} wants demo units in their showroom before their sales conference; without the purchase order the "
     "supplier will not ship, and the next slot is a month later."),
    ("Purchase orders", "Purchase order for the regional partner event catering",
     "Thirty partners from across Asia-Pacific attend our half-yearly briefing; the caterer needs a purchase "
     "order two weeks ahead or gives the date away."),
    ("Purchase orders", "Purchase order for two laptops for new sales staff",
     "Two sales coordinators start on the first of the month and cannot serve {client} without a laptop; local "
     "stock runs out quickly."),
    ("Expense approvals", "Approval of travel expenses for the {client} visit",
     "Our team visited {client} to rescue the renewal; the card statement closes on Friday and unapproved "
     "expenses are charged to the employee personally."),
    ("Expense approvals", "Approval of the regional marketing spend",
     "The spend was agreed with the regional director for the {client} campaign; the agency invoices this month "
     "and needs our approval reference."),
    ("Vendor payments", "Payment to our local translation agency",
     "The agency translated the {client} tender in a weekend for us; they are a small firm and a late payment "
     "puts the next tender at risk."),
    ("Vendor payments", "Quarterly payment to the Singapore office landlord",
     "The lease says payment by the 5th; a late payment costs a penalty and the landlord's goodwill, which we "
     "need for the lease renewal."),
]
CLIENTS = ["Jakarta", "Kuala Lumpur", "Manila", "Bangkok", "Ho Chi Minh City", "Sydney", "Auckland", "Seoul"]
REMOTE_THANKS = [
    ("Thank you, this came just in time.", "{client} signed the order on Friday; they said our responsiveness "
                                           "made the difference."),
    ("Many thanks for the quick turnaround!", "The event went ahead with every partner there."),
    ("Thanks a lot — and for the call explaining the steps.", "We can now do the next one ourselves, right first "
                                                              "time."),
]
SLOW_REASONS = ["Month-end close: we are behind on every office's requests.",
                "Waiting on approval from the controller, who is travelling.",
                "Queue is long this week; yours is next after the US offices."]


def _remote_office(w):
    team = w.teams.get("Remote Office — Singapore")
    hq = w.members.get("HQ Finance Operations") or []
    people = w.members.get("Remote Office — Singapore") or []
    if team is None or not hq or not people:
        return
    remote_member = w.person("remote_member")
    days_ago = DAYS - 5
    while days_ago > 3:
        requester = remote_member if remote_member and w.rng.random() < 0.4 else w.pick(people)
        _remote_request(w, team, requester, hq, days_ago)
        days_ago -= w.rng.randint(3, 11)
    # Open now: a heads-up awaiting confirmation, and a payment blocked on the remote office.
    service = w.by_name["Purchase orders"]
    asked = _asked_at(w, service, 6, remote_member)
    today = s.local_today(service, w.now)
    _Life(w, service, remote_member or people[0], team).forecast(
        asked, title="Purchase order for the Jakarta trade fair stand",
        context=("We have an 80 % chance of exhibiting at the Jakarta trade fair, where three of our five biggest "
                 "regional clients will be. The organiser confirms the stands by the date below; the stand "
                 "builder needs a purchase order within a week of that, so we are telling you now."),
        need_by=_bday(service, today, 18), probability=80, confirm_by=_bday(service, today, 6),
        options="Any day in the week of the need-by date works for us.",
        milestone="Jakarta trade fair")
    service = w.by_name["Vendor payments"]
    asked = _asked_at(w, service, 9, remote_member)
    life = _Life(w, service, w.pick(people), team).ask(
        asked, title="Quarterly payment to the Singapore office landlord",
        context=("The lease says payment by the 5th; a late payment costs a penalty and the landlord's goodwill, "
                 "which we need for the lease renewal in the spring."),
        need_by=_bday(service, s.local_today(service, asked), 12), date_kind="hard",
        options="A partial payment first would keep us inside the lease terms.")
    owner = hq[0]
    life.acknowledge(_later(service, asked, 2), owner).commit(_later(service, asked, 3), owner,
                                                              _bday(service, today, 4))
    life.block(w.now - timedelta(days=2), hq[-1],
               "The landlord changed banks: we need their new bank details, confirmed in writing, before we can pay.")


def _remote_request(w, team, requester, hq, days_ago):
    rng = w.rng
    service_name, title, context = w.pick(REMOTE_ASKS)
    service = w.by_name[service_name]
    client = w.pick(CLIENTS)
    title, context = title.format(client=client), context.format(client=client)
    # Slow in the first year; after the second exchange, quicker month by month.
    slow = 1.0 if days_ago > EXCHANGE_DAYS_AGO else max(0.05, (days_ago - 60) / EXCHANGE_DAYS_AGO)
    life = _Life(w, service, requester, team)
    asked = _asked_at(w, service, days_ago, requester)
    today = s.local_today(service, asked)
    need_by = _bday(service, today, service.lead_time_days + rng.randint(0, 6))
    options = w.pick(["", "Any day that week is fine.", "A partial delivery first would already help."])
    if rng.random() < 0.2:  # a heads-up forecast first (seed 000: "80 % probably ... in three weeks")
        probability = rng.choice([70, 80, 80, 90])
        need_by = _bday(service, today, service.lead_time_days + rng.randint(8, 15))
        confirm_by = _bday(service, today, rng.randint(3, 7))
        life.forecast(asked, title=title, context=context + f" We are {probability} % sure; we will confirm by "
                      "the date below.", need_by=need_by, probability=probability, confirm_by=confirm_by,
                      options=options)
        if rng.random() < 0.15:
            life.withdraw(_on(service, confirm_by, 11), "The client chose another supplier; thank you for "
                                                        "keeping the slot.")
            return
        asked = _on(service, confirm_by, rng.randint(8, 12))
        life.confirm(asked)
    else:
        life.ask(asked, title=title, context=context, need_by=need_by, options=options)
    provider = w.pick(hq)
    ack = _later(service, asked, _lognormal_hours(rng, 2 + 30 * slow))
    life.acknowledge(ack, provider)
    late = rng.random() < 0.45 * slow
    committed = _bday(service, need_by, rng.randint(2, 6)) if late else need_by
    life.commit(_later(service, ack, rng.uniform(0.5, 6)), provider, committed)
    if rng.random() < 0.3 * slow:
        life.comment(_later(service, ack, 10), requester,
                     "We assume you are busy — is there anything we can send to make this easier?")
        life.slip(_on(service, _bday(service, committed, -1), 16), provider, _bday(service, committed, 3),
                  w.pick(SLOW_REASONS))
        if rng.random() < 0.35:
            life.warn_then_escalate(_on(service, _bday(service, committed, 1), 9),
                                    "Our client is waiting on this; I would rather settle it with you.",
                                    "Our client has been waiting for two weeks; can you help us get a date?")
        committed = _bday(service, committed, 3)
    delivered = _on(service, _bday(service, committed, -rng.randint(0, 1)), rng.randint(9, 16))
    life.deliver(delivered, provider)
    thanks, impact = ("", "")
    if rng.random() < 0.45 + 0.45 * (1 - slow):
        thanks, impact = w.pick(REMOTE_THANKS)
        impact = impact.format(client=client)
    life.accept(delivered + timedelta(hours=rng.randint(14, 30)), rng.choice([4, 4, 5, 5, 3]), thanks, impact)


# --- seed 003: the offshore partner ------------------------------------------------------

OFFSHORE_ASKS = [
    ("Claims back-office processing", "Process the {kind} claim backlog for {week}",
     "Customers whose claims are older than 10 days are calling the contact centre; every day of backlog adds "
     "about forty calls and a few complaints to the regulator's count."),
    ("Claims back-office processing", "Report: {kind} claims settled in {week}",
     "The weekly report goes to the operations committee; without it they decide on staffing blind."),
    ("Claims back-office processing", "Correct the payee details on the {kind} claims batch",
     "Payments are stuck until the payee details are right; the customers have already waited past our "
     "service promise."),
    ("Document indexing", "Index the scanned {kind} claim documents from {week}",
     "Handlers cannot assess a claim until its documents are indexed; the oldest are now past our promise to "
     "customers."),
    ("Document indexing", "Re-scan the illegible {kind} medical reports",
     "The assessors cannot read them; the customers have sent them twice already and are losing patience."),
]
CLAIM_KINDS = ["motor", "home", "travel", "health", "pet", "commercial property"]
SLIP_REASONS = ["Volume higher than forecast this week.", "Revised timeline.", "Still in progress.",
                "Waiting on clarification from the onshore team.", "Team member on leave.",
                "System access issue at our site.", "Priorities changed by our management."]
REWORK = ["Half of the claims were closed without the mandatory checks.",
          "The report's totals do not match the ledger; please recheck the settled amounts.",
          "Several documents are indexed against the wrong claim.",
          "The payee details are still wrong on about a third of the batch."]


def _offshore_partner(w):
    claims = w.teams.get("Claims Operations")
    partner = w.members.get("Offshore Back-Office Partner") or []
    if claims is None or not partner:
        return
    pools = _requesters_by_gender(w, "Claims Operations")
    days_ago = DAYS - 3
    while days_ago > 1:
        roll = w.rng.random()
        gender = "woman" if roll < 0.45 else "man" if roll < 0.9 else "other"
        pool = pools.get(gender) or pools["any"]
        requester, team = w.pick(pool)
        _offshore_request(w, team, requester, partner, days_ago, gender)
        days_ago -= w.rng.choice([2, 3, 3, 4, 5])
    # Open now: an overdue commitment that has already moved twice.
    service = w.by_name["Claims back-office processing"]
    requester, team = w.pick(pools["any"])
    asked = _asked_at(w, service, 24, requester)
    provider = partner[0]
    life = _Life(w, service, requester, team).ask(
        asked, title="Quarter-end reconciliation of the motor claims ledger",
        context=("Finance closes the quarter on our figures; an unreconciled ledger means the close waits and the "
                 "auditors note it."),
        need_by=_bday(service, s.local_today(service, asked), 6), date_kind="hard",
        options="The motor claims first, the rest the week after.")
    first = _bday(service, s.local_today(service, asked), 6)
    life.acknowledge(_later(service, asked, 30), provider).commit(_later(service, asked, 32), provider, first)
    life.slip(_on(service, first, 15), provider, _bday(service, first, 4), "Volume higher than forecast this week.")
    life.slip(_on(service, _bday(service, first, 4), 16), provider, _bday(service, first, 7), "Revised timeline.")


def _requesters_by_gender(w, team_name):
    """{"woman": [(person, team)], "man": [...], "other": [...], "any": [...]} for requests to
    the offshore partner: Claims Operations' people, with people of the same department's
    parent lines added when a group would otherwise be empty (a small demo may draw few)."""
    pools = {"woman": [], "man": [], "other": [], "any": []}
    team = w.teams[team_name]
    for person in w.members[team_name]:
        gender = w.gender.get(person.email, "")
        pools[gender if gender in ("woman", "man") else "other"].append((person, team))
        pools["any"].append((person, team))
    for gender in ("woman", "man"):
        if pools[gender]:
            continue
        ancestor = w.parent.get(team_name)
        while ancestor and not pools[gender]:
            for name, parent in w.parent.items():
                if parent == ancestor and name != team_name and name in w.teams:
                    pools[gender] += [(p, w.teams[name]) for p in w.members[name]
                                      if w.gender.get(p.email) == gender]
            ancestor = w.parent.get(ancestor)
    return pools


def _offshore_request(w, team, requester, partner, days_ago, gender):
    rng = w.rng
    service_name, title, context = w.pick(OFFSHORE_ASKS)
    service = w.by_name[service_name]
    kind = w.pick(CLAIM_KINDS)
    asked = _asked_at(w, service, days_ago, requester)
    today = s.local_today(service, asked)
    week = f"the week of {today - timedelta(days=today.weekday()):%d %b}"
    title, context = title.format(kind=kind, week=week), context.format(kind=kind, week=week)
    # 0 during the start-up; then the relationship wears down, to 1 at the present.
    decline = max(0.0, min(1.0, (DAYS - START_UP_DAYS - days_ago) / (DAYS - START_UP_DAYS - 30)))
    # Seed 003: "a lower level of responsiveness to our female SMEs than to the males".
    bias = 2.0 if decline > 0 and gender == "woman" else 1.0
    need_by = _bday(service, today, service.lead_time_days + rng.randint(0, 4))
    life = _Life(w, service, requester, team).ask(
        asked, title=title, context=context, need_by=need_by, date_kind=rng.choice(["hard", "flexible"]),
        options=w.pick(["", "A partial delivery first (the oldest items) would help."]))
    provider = w.pick(partner[:4])
    ack = _later(service, asked, _lognormal_hours(rng, (1.5 + 24 * decline) * bias, 0.5))
    life.acknowledge(ack, provider)
    committed = need_by if rng.random() > 0.5 * decline else _bday(service, need_by, rng.randint(1, 3))
    life.commit(_later(service, ack, rng.uniform(0.5, 4) * bias), provider, committed)
    slips = sum(rng.random() < 0.6 * decline * (1.3 if gender == "woman" else 1.0) for _ in range(4))
    for n in range(slips):
        new = _bday(service, committed, rng.randint(2, 5))
        life.slip(_on(service, committed, rng.randint(13, 16)), provider, new, w.pick(SLIP_REASONS))
        if n == 1 and rng.random() < 0.5:
            life.warn_then_escalate(_later(service, life.clock or asked, 1),
                                    "This date has moved twice. I would rather we fix it together than involve "
                                    "your management.",
                                    "We agreed a date three times and it has moved again; can you help us get a "
                                    "firm one?")
        committed = new
    delivered = _on(service, committed, rng.randint(10, 16))
    life.deliver(delivered, provider)
    if rng.random() < 0.05 + 0.4 * decline:  # lower quality: sent back as rework
        life.reopen(_later(service, delivered, rng.randint(2, 8)), w.pick(REWORK))
        delivered = _on(service, _bday(service, s.local_today(service, delivered), rng.randint(2, 5)), 15)
        life.deliver(delivered, provider, note="Corrected.")
    quality = max(1, min(5, round(4.6 - 2.4 * decline + rng.gauss(0, 0.6))))
    thanks = ""
    if rng.random() < 0.6 - 0.4 * decline:
        thanks = "Thanks — spot on, as always." if decline < 0.2 else "Thank you."
    life.accept(_later(service, delivered, rng.randint(1, 12)), quality, thanks,
                "The backlog is back under our promise to customers." if thanks else "")


# --- seed 004: the emergency department's urgent asks --------------------------------------

ED_ASKS = [
    ("Bed for a {age}-year-old with {condition}",
     "The patient has been in the department for {hours} hours and needs admission; the ED is full and the "
     "ambulances are queuing outside."),
    ("Admission to a medical ward: {condition}",
     "Assessed and stable, but cannot go home: {condition} in a {age}-year-old who lives alone. Every hour in a "
     "corridor bay is an hour a new emergency waits."),
    ("Transfer to a monitored bed: {condition}",
     "Needs monitoring overnight; we cannot staff a monitored bed in the ED beyond the next shift change."),
]
ED_DEMANDING = [
    ("Need a bed ASAP — {condition}", "Need a bed for this patient ASAP. Drop everything and find one."),
    ("BED NEEDED NOW: {condition}", "PATIENT WAITING IN CORRIDOR. SORT THIS IMMEDIATELY."),
    ("Bed immediately please — {condition}", "I need this sorted immediately, no excuses this time."),
]
CONDITIONS = ["pneumonia", "a hip fracture", "sepsis", "a stroke", "heart failure", "a fall with a head injury",
              "dehydration", "chest pain", "a COPD flare-up", "delirium"]
ED_OWNING = [
    "I know this is same-day and that you plan beds a day ahead — the patient arrived overnight and a ward is "
    "the only safe place for her. Sorry, and thank you.",
    "Same-day, I own that: we could not see this coming before the assessment this morning.",
    "Short notice, and I know it lands on a full unit; thank you for looking.",
]
ED_OPTIONS = "Any medical ward; a step-down bed would also do."


def _emergency_department(w):
    ed, unit = w.teams.get("Emergency Department"), w.members.get("In-patient Unit") or []
    ed_people = w.members.get("Emergency Department") or []
    service = w.by_name.get("Bed allocation")
    if ed is None or not unit or not ed_people or service is None:
        return
    ed_lead = w.person("ed_lead") or ed_people[0]
    days_ago = DAYS - 2
    while days_ago >= 0:
        _ed_request(w, service, ed, ed_lead if w.rng.random() < 0.6 else w.pick(ed_people), unit, days_ago)
        days_ago -= w.rng.choice([3, 4, 5, 6, 7])
    # Open now: an ask from the last hour, not yet picked up.
    asked = w.now - timedelta(minutes=40)
    _Life(w, service, ed_lead, ed).ask(
        asked, title="Bed for an 84-year-old with pneumonia",
        context=("Assessed, on antibiotics, needs a ward bed and oxygen. She has been in a corridor bay for five "
                 "hours; the ambulances are queuing and we have no cubicle left."),
        need_by=s.local_today(service, asked), date_kind="hard", options=ED_OPTIONS,
        owned=ED_OWNING[1])


def _ed_request(w, service, ed, requester, unit, days_ago):
    rng = w.rng
    asked = w.now - timedelta(days=days_ago, hours=rng.randint(1, 23), minutes=rng.randint(0, 59))
    condition, age = w.pick(CONDITIONS), rng.randint(19, 96)
    demanding = rng.random() < (0.45 if days_ago > 365 else 0.15)
    title, context = w.pick(ED_DEMANDING if demanding else ED_ASKS)
    title = title.format(condition=condition, age=age)
    context = context.format(condition=condition, age=age, hours=rng.randint(3, 14))
    today = s.local_today(service, asked)
    need_by = today if rng.random() < 0.75 else today + timedelta(days=1)
    life = _Life(w, service, requester, ed).ask(
        asked, title=title, context=context, need_by=need_by, date_kind="hard",
        options="" if demanding else ED_OPTIONS,
        owned="Emergency. No notice possible." if demanding else w.pick(ED_OWNING))
    provider = unit[0] if rng.random() < 0.5 else w.pick(unit)
    ack = asked + timedelta(minutes=rng.randint(5, 50) * (2 if demanding else 1))
    life.acknowledge(ack, provider)
    if rng.random() < 0.06:
        life.decline(ack + timedelta(minutes=20), provider,
                     "No bed on any medical ward tonight; we have arranged a transfer to St. Luke's instead.")
        return
    life.commit(ack + timedelta(minutes=10), provider, need_by)
    delivered = ack + timedelta(hours=rng.uniform(1, 9))
    life.deliver(delivered, provider, note=w.pick(["Ward 4B, bed 12.", "Ward 6A, side room.", "Step-down unit, "
                                                                                             "bed 3."]))
    thanks = ""
    if rng.random() < (0.25 if days_ago > 365 else 0.6):
        thanks = "Thank you — she is settled on the ward and we opened a cubicle for the next ambulance."
    life.accept(delivered + timedelta(hours=rng.randint(1, 6)), rng.choice([3, 4, 4, 5]), thanks)


# --- seed 002: Product Marketing's customer events ----------------------------------------

def _customer_events(w):
    pm_team, pm_lead, pm_manager = w.teams.get("Product Marketing"), w.person("pm_lead"), w.person("pm_manager")
    video, briefing = w.by_name.get("Video conferencing & webinars"), w.by_name.get("Architecture briefings")
    network = w.by_name.get("Network upgrades & changes")
    if not (pm_team and pm_lead and pm_manager and video and briefing and network):
        return
    collab = w.members.get("Collaboration Services") or [video.team.lead]
    architects = w.members.get("Product Architecture") or [briefing.team.lead]
    net_people = w.members.get("Network Group") or [network.team.lead]
    now = w.now
    # The launch webinar, eight months ago: heads-up, confirmed, delivered, thanked.
    launch = (now - timedelta(days=240)).date()
    while launch.weekday() >= 5:
        launch += timedelta(days=1)
    asked = _on(video, launch - timedelta(days=63), 10)
    life = _Life(w, video, pm_manager, pm_team).forecast(
        asked, title="Webinar platform for the product launch (100+ customer organisations)",
        context=("We launch the new product to existing customers in a live webinar; over a hundred customer "
                 "organisations are expected live and as many on the re-runs. A failure in front of them would "
                 "cost us renewals."),
        need_by=launch, probability=80, confirm_by=launch - timedelta(days=35), date_kind="hard",
        options="The afternoon slot is fixed; a rehearsal any day the week before.", milestone="Product launch")
    life.confirm(_on(video, launch - timedelta(days=38), 11))
    life.acknowledge(_later(video, life.clock, 3), collab[0]).commit(_later(video, life.clock, 1), collab[0],
                                                                     launch)
    life.deliver(_on(video, launch, 18), collab[0], note="Recording and re-run links are on the event page.")
    life.accept(_on(video, launch + timedelta(days=1), 10), 5,
                "Thank you — flawless, and the re-run doubled our audience.",
                "112 customer organisations attended live; three asked for a follow-up meeting.")
    asked = _on(network, launch - timedelta(days=30), 9)
    life = _Life(w, network, pm_lead, pm_team).ask(
        asked, title="No network changes during the launch webinar",
        context=("The launch webinar runs on the webinar platform, which runs on the network. Please keep changes "
                 "away from the afternoon of the launch so that 100+ customers see us at our best."),
        need_by=launch - timedelta(days=3), date_kind="hard", options="Any change the week before or after is fine.",
        milestone="Product launch")
    life.acknowledge(_later(network, asked, 4), net_people[0])
    life.commit(_later(network, asked, 5), net_people[0], launch - timedelta(days=3),
                note="Change freeze entered for the afternoon.")
    life.deliver(_on(network, launch - timedelta(days=3), 15), net_people[0])
    life.accept(_on(network, launch + timedelta(days=1), 11), 5, "Thanks for holding the freeze.")

    # "Meet the architect": the weekday the agenda step gives it (liaison.agenda.demo: now + 9 days).
    event = (now + timedelta(days=9)).date()
    while event.weekday() >= 5:
        event += timedelta(days=1)
    asked = _on(video, event - timedelta(days=35), 10)
    life = _Life(w, video, pm_manager, pm_team).forecast(
        asked, title="Webinar platform for “Meet the architect”",
        context=("A virtual session where the architecture team presents the three-year vision to customers of "
                 "existing products, with questions and wish lists; over 100 customer organisations live, as many "
                 "on the re-runs. It is how we tighten our relationship with the customer base."),
        need_by=event, probability=80, confirm_by=event - timedelta(days=20), date_kind="hard",
        options="The 15:00 UTC slot is fixed; the rehearsal can be any day that week.",
        milestone="Meet the architect")
    life.confirm(_on(video, event - timedelta(days=22), 10))
    life.acknowledge(_later(video, life.clock, 2), collab[0]).commit(_later(video, life.clock, 1), collab[0], event)
    life.progress(_later(video, life.clock, 20), collab[0], "Room booked, two moderators assigned, re-runs "
                                                            "scheduled.")
    rehearsal = _bday(video, s.local_today(video, now), 2)
    asked = _on(video, event - timedelta(days=16), 14)
    _Life(w, video, pm_manager, pm_team).ask(
        asked, title="Speaker rehearsal for “Meet the architect”",
        context=("The architects present live to customers for the first time; one full run-through on the real "
                 "platform removes most of the risk."),
        need_by=rehearsal, options="Any afternoon this week.", milestone="Meet the architect",
    ).acknowledge(_later(video, asked, 3), collab[-1]).commit(_later(video, asked, 4), collab[-1], rehearsal)
    asked = _on(briefing, event - timedelta(days=40), 9)
    _Life(w, briefing, pm_lead, pm_team).ask(
        asked, title="Present the three-year vision at “Meet the architect”",
        context=("Customers will plan their next years on what they hear; they asked for the roadmap, and for a "
                 "chance to give wish lists. Your team is the only one who can present it credibly."),
        need_by=event, date_kind="hard", options="45 minutes, or 30 with a longer Q&A.",
        milestone="Meet the architect",
    ).acknowledge(_later(briefing, asked, 6), architects[0]).commit(_later(briefing, asked, 7), architects[0], event)
    # The network upgrade was announced yesterday for the morning of the event (the agenda step):
    # Product Marketing asks, with context and options, instead of a heated inquiry.
    asked = min(now - timedelta(hours=2), now - timedelta(days=1) + timedelta(hours=3))
    _Life(w, network, pm_lead, pm_team).ask(
        asked, title="Keep the network stable on the morning of “Meet the architect”",
        context=("Your core network upgrade is announced for the morning of our customer session: over 100 "
                 "customer organisations, live, on the webinar platform, which runs on your network. If something "
                 "goes wrong there may be no time to fix it before 15:00, and the embarrassment lands on the "
                 "company, not on one team. We would like to find a date that works for both of us."),
        need_by=_bday(network, event, -1), date_kind="hard",
        options=("Move the upgrade to the following week; or to the evening after the session; or keep an "
                 "engineer and a rollback ready until the session ends."),
        milestone="Meet the architect",
        owned="The upgrade was only announced yesterday, so this could not come earlier — sorry for the short "
              "notice.")
    # The re-runs for Asia-Pacific: a heads-up still awaiting confirmation.
    _Life(w, video, pm_manager, pm_team).forecast(
        now - timedelta(days=2), title="Re-run sessions of “Meet the architect” for Asia-Pacific customers",
        context=("If the live session fills up, customers in Asia-Pacific asked for two re-runs in their morning; "
                 "we will know from the registrations."),
        need_by=event + timedelta(days=14), probability=60, confirm_by=event + timedelta(days=2),
        options="Any two mornings that week.", milestone="Meet the architect")


# --- the background: ordinary requests between other teams -----------------------------------

KIND_ASKS = {
    "requests": ["Help with {project}", "Set-up for {project}", "Add our team to {project}"],
    "support": ["Access problem with the shared drive for {project}", "Questions about the new process for {project}",
                "Help migrating our files for {project}"],
    "reviews": ["Review of the proposal for {project}", "Sign-off on the checklist for {project}"],
    "reporting": ["Monthly figures for {project}", "One-off extract for {project}"],
    "approvals": ["Approval of the budget change for {project}", "Approval to extend a contractor on {project}"],
    "onboarding": ["Onboarding two new starters for {project}", "Setting up a new partner for {project}"],
}
GENERIC_ASKS = ["Help with {project}", "Input for {project}", "Support for {project}"]
PROJECTS = ["the pricing review", "the Lisbon office opening", "the new onboarding journey", "the regulator's annual "
            "return", "the autumn product launch", "the customer retention programme", "the supplier consolidation",
            "the year-end close", "the mobile app release", "the board pack", "the data retention clean-up",
            "the customer survey", "the branch refurbishment", "the partner summit"]
STAKES = ["it feeds the quarterly review with the executive team", "a client is waiting on our answer",
          "the regulator expects it by the end of the month", "two other teams start their work from it",
          "it was promised to the customer in writing"]
MISSES = ["we miss the review and wait another quarter", "the client escalates to their account director",
          "we pay a late fee", "the other teams sit idle for a week", "we break a written promise"]


def _background(w, count):
    rng = w.rng
    providers = [svc for svc in w.services if svc.name not in STORY_ONLY and w.members.get(svc.team.name)]
    askers = [name for name, people in w.members.items() if people and name in w.teams]
    if not providers or not askers:
        return
    for n in range(count):
        service = w.pick(providers)
        team_name = w.pick(askers)
        if team_name == service.team.name:
            continue
        _ordinary(w, service, w.teams[team_name], w.pick(w.members[team_name]),
                  DAYS - 1 - (DAYS - 2) * n / max(1, count - 1) + rng.uniform(-1, 1))


# Services whose requests only the stories make (the rest of the catalogue gets ordinary ones too).
STORY_ONLY = {"Bed allocation", "Emergency admissions", "Claims back-office processing",
                         "Document indexing", "Network upgrades & changes", "Customer events & webinars",
                         "Architecture briefings", "Purchase orders", "Expense approvals", "Vendor payments"}


def _ordinary(w, service, team, requester, days_ago):
    rng = w.rng
    project = w.pick(PROJECTS)
    kind = service.name.rsplit(" ", 1)[-1]
    title = w.pick(KIND_ASKS.get(kind, GENERIC_ASKS)).format(project=project)
    if rng.random() < 0.1:
        context = "As discussed."  # thin: the coach would have asked for more
    else:
        context = (f"We need this for {project}: {w.pick(STAKES)}. If it is late, {w.pick(MISSES)}.")
    asked = _asked_at(w, service, max(0.0, days_ago), requester)
    today = s.local_today(service, asked)
    lead = service.lead_time_days
    notice = rng.randint(0, max(0, lead - 1)) if rng.random() < 0.1 else lead + rng.randint(0, 10)
    need_by = _bday(service, today, max(notice, 0))
    if need_by < today:
        need_by = today
    life = _Life(w, service, requester, team)
    provider_people = w.members[service.team.name]
    provider = w.pick(provider_people[:6])
    if rng.random() < 0.07 and notice > 5:  # a heads-up first
        confirm_by = _bday(service, today, rng.randint(1, max(1, notice - 3)))
        life.forecast(asked, title=title, context=context, need_by=need_by, probability=rng.choice([50, 70, 80, 90]),
                      confirm_by=confirm_by)
        if rng.random() < 0.15:
            life.withdraw(_on(service, confirm_by, 10), "Not needed after all; thanks for planning for it.")
            return
        asked = _on(service, confirm_by, rng.randint(9, 15))
        life.confirm(asked)
    else:
        life.ask(asked, title=title, context=context, need_by=need_by,
                 date_kind=rng.choice(["flexible", "flexible", "flexible", "hard"]),
                 options=w.pick(["", "", "Any day that week.", "A first draft earlier would help."]))
    ack = _later(service, asked, _lognormal_hours(rng, 4, 0.9, cap=80))
    life.acknowledge(ack, provider)
    if rng.random() < 0.04:
        life.decline(_later(service, ack, 2), provider, "This is outside what our service covers; "
                                                        "the team that owns it is in the catalogue.")
        return
    committed = need_by if rng.random() < 0.8 else _bday(service, need_by, rng.randint(1, 4))
    life.commit(_later(service, ack, rng.uniform(0.2, 6)), provider, committed)
    if rng.random() < 0.05:
        life.block(_later(service, ack, 8), provider, "Waiting for the input file from your side.",
                   _later(service, ack, 20), requester, "Sent today.")
    for _ in range(rng.choice([0] * 17 + [1, 1, 2])):
        new = _bday(service, committed, rng.randint(1, 4))
        life.slip(_on(service, _bday(service, committed, -1), 15), provider, new,
                  w.pick(["Another request jumped the queue.", "Waiting on a supplier.", "Someone is out sick."]))
        committed = new
    delivered = _on(service, _bday(service, committed, -rng.choice([0, 0, 1, 2])), rng.randint(9, 16))
    if rng.random() < 0.08:
        delivered = _on(service, _bday(service, committed, rng.randint(1, 3)), rng.randint(9, 16))
    life.deliver(delivered, provider)
    if rng.random() < 0.06:
        life.reopen(_later(service, delivered, 4), "A part is missing: see my comment on the attachment.")
        delivered = _later(service, delivered, rng.randint(8, 24))
        life.deliver(delivered, provider, note="Completed.")
    thanks = w.pick(["Thank you!", "Thanks, this helped a lot.", "Great work, thanks."]) if rng.random() < 0.4 else ""
    life.accept(_later(service, delivered, rng.uniform(1, 20)), rng.choice([3, 4, 4, 4, 5, 5]), thanks,
                f"It kept {project} on track." if thanks else "")
