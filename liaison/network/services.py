"""Operations of the network domain. Views, the API, sweeps and the demo all call these.

Each operation validates fully before it writes and raises django ValidationError naming
the field, so every door shows the same message and the data stays unchanged.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from liaison.org.models import Membership, Person, Team

from . import dependencies
from .models import (
    DEFAULT_CADENCE_DAYS,
    EPOCH,
    HomeworkPlan,
    Interaction,
    InteractionParticipant,
    Kind,
    Nudge,
    TeamNetworkSettings,
    Tie,
)

MAX_PARTICIPANTS = 50


# --- notifications: the one door to liaison.notify -------------------------------------

def send_notifications(messages, now):
    """Queue notifications through liaison.notify: the one place network talks to the outbox.

    `messages` are dicts(recipients, kind, subject, body, link, dedupe_key), as for
    liaison.notify.services.notify; they go in bulk (notify's message_rows + queue: one
    INSERT per thousand rows), because the nudge sweep may notify tens of thousands of
    people at once. Idempotent on each message's dedupe_key.
    """
    from liaison.notify.services import message_rows, queue

    rows = []
    for message in messages:
        rows.extend(message_rows(message["recipients"], kind=message["kind"], subject=message["subject"],
                                 body=message.get("body", ""), link=message.get("link", ""),
                                 dedupe_key=message["dedupe_key"], now=now, team=message.get("team")))
    queue(rows)
    return len(rows)


# --- people and teams ----------------------------------------------------------------------

def team_ids_of(person_ids):
    """{person_id: set(team ids)} in one query."""
    teams = defaultdict(set)
    for person_id, team_id in Membership.objects.filter(person_id__in=person_ids).values_list("person_id", "team_id"):
        teams[person_id].add(team_id)
    return teams


def _no_one(ids, emails):
    """The message for names that match no one the viewer may see: the same whether the
    person does not exist, is deactivated, or is hidden from the viewer (no leak)."""
    named = []
    if emails:
        named.append(f"the address{'es' if len(emails) > 1 else ''} {', '.join(emails)}")
    if ids:
        named.append(f"the id{'s' if len(ids) > 1 else ''} {', '.join(ids)}")
    return f"No one with {' or '.join(named)} in the directory you can see."


def resolve_people(values, field="participants", viewer=None):
    """People from a list of ids, emails or Person objects; unknown ones are a field error.

    Ids and emails are looked up among the people `viewer` may see (Person.objects.visible_to);
    without a viewer, among active people. Someone the viewer may not see is reported exactly
    like someone unknown.
    """
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").replace("\n", ",").split(",")]
    values = [v.strip() if isinstance(v, str) else v for v in values]
    values = [v for v in values if v not in ("", None)]
    ids, emails, people = set(), set(), []
    for value in values:
        if isinstance(value, Person):
            people.append(value)
        elif isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
            ids.add(int(value))
        else:
            emails.add(value.lower())
    pool = Person.objects.visible_to(viewer) if viewer is not None else Person.objects.filter(is_active=True)
    _, max_id = connection.ops.integer_field_range(Person._meta.pk.get_internal_type())
    in_range = {i for i in ids if i <= max_id}  # a bigger number names no one (and overflows the driver)
    found = pool.filter(Q(pk__in=in_range) | Q(email__in=emails)) if in_range or emails else []
    by_id = {p.pk: p for p in found}
    by_email = {p.email: p for p in found}
    unknown_ids = sorted(str(i) for i in ids if i not in by_id)
    unknown_emails = sorted(e for e in emails if e not in by_email)
    if unknown_ids or unknown_emails:
        raise ValidationError({field: _no_one(unknown_ids, unknown_emails)})
    result = {p.pk: p for p in people if p.is_active}
    if len(result) != len(people):
        raise ValidationError({field: "A deactivated person cannot take part."})
    result.update(by_id)
    result.update({p.pk: p for p in by_email.values()})
    return list(result.values())


def find_person(value, *, field, viewer=None, missing="Give their email address."):
    """The one person `value` (an email, an id or a Person) names, as resolve_people finds
    them; a blank value is a field error (`missing`), not a crash."""
    people = resolve_people([value], field=field, viewer=viewer)
    if len(people) != 1:
        raise ValidationError({field: missing})
    return people[0]


# --- interactions and ties ----------------------------------------------------------------

def _validate_interaction(author, kind, occurred_on, people, note, now, errors):
    if kind not in Kind.values:
        errors["kind"] = f"Unknown kind {kind!r}; one of {', '.join(Kind.values)}."
    today = timezone.localdate(now)
    if occurred_on is None:
        errors["occurred_on"] = "Give the date it happened."
    elif occurred_on > today:
        errors["occurred_on"] = f"{occurred_on} is in the future: log an interaction once it has happened."
    elif occurred_on < EPOCH:
        errors["occurred_on"] = f"{occurred_on} is too long ago."
    others = [p for p in people or () if p.pk != author.pk]
    if people is None:
        pass  # unknown people: already reported
    elif not others:
        errors["participants"] = "Name at least one other person: an interaction with only yourself is not a tie."
    elif len(others) > MAX_PARTICIPANTS:
        errors["participants"] = f"At most {MAX_PARTICIPANTS} people per interaction."
    else:
        teams = team_ids_of([author.pk] + [p.pk for p in others])
        mine = teams.get(author.pk, set())
        if mine and all(teams.get(p.pk, set()) & mine for p in others):
            errors["participants"] = ("Everyone named is in your own team: Liaison tracks ties across teams; "
                                      "add someone from another team.")
    if len(note) > 5000:
        errors["note"] = "Keep the note under 5,000 characters."
    if errors:
        raise ValidationError(errors)
    return others


def _fold_ties(pairs, kind, day):
    """Add one interaction to the Tie of each (a, b) pair, creating ties as needed."""
    pairs = {(min(a, b), max(a, b)) for a, b in pairs if a != b}
    if not pairs:
        return
    lows = {a for a, _ in pairs}
    existing = {(t.person_low_id, t.person_high_id): t for t in
                Tie.objects.select_for_update().filter(person_low_id__in=lows, person_high_id__in={b for _, b in pairs})
                if (t.person_low_id, t.person_high_id) in pairs}
    new = []
    for pair in pairs:
        tie = existing.get(pair)
        if tie is None:
            tie = Tie(person_low_id=pair[0], person_high_id=pair[1], as_of=day, first_on=day, last_on=day)
            tie.add(kind, day)
            new.append(tie)
        else:
            tie.add(kind, day)
    Tie.objects.bulk_update(list(existing.values()), ["score", "as_of", "strength_key", "interactions",
                                                     "first_on", "last_on"])
    for tie in new:
        try:
            with transaction.atomic():
                tie.save()
        except IntegrityError:  # a concurrent logger created this pair first: fold into theirs
            other = Tie.objects.select_for_update().get(person_low_id=tie.person_low_id,
                                                        person_high_id=tie.person_high_id)
            other.add(kind, day)
            other.save()


def _clear_nudges(interaction, author_id, other_ids, now):
    teams = team_ids_of([author_id, *other_ids])
    mine = teams.get(author_id, set())
    theirs = set().union(*(teams.get(p, set()) for p in other_ids)) if other_ids else set()
    if not mine or not theirs:
        return 0
    return (Nudge.objects.open()
            .filter(Q(team_id__in=mine, other_team_id__in=theirs) | Q(team_id__in=theirs, other_team_id__in=mine))
            .update(cleared_at=now, cleared_by=interaction))


@transaction.atomic
def log_interaction(author, *, kind, occurred_on, participants, note="", now=None, source_key=None):
    """Record that `author` met `participants` (people of other teams) on `occurred_on`.

    Refuses (ValidationError naming the field, nothing written) a date in the future, an
    interaction with oneself only, an unknown or deactivated person, or one with only
    people of one's own team. Folds the interaction into the author's tie with each
    participant and clears the nudges between their teams.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    errors, people = {}, None
    try:
        people = resolve_people(participants, viewer=author)
    except ValidationError as exc:
        errors.update({field: " ".join(messages) for field, messages in exc.message_dict.items()})
    others = _validate_interaction(author, kind, occurred_on, people, note, now, errors)
    interaction = Interaction.objects.create(author=author, kind=kind, occurred_on=occurred_on,
                                             note=note, created_at=now, source_key=source_key)
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction=interaction, person=p) for p in others])
    _fold_ties([(author.pk, p.pk) for p in others], kind, occurred_on)
    _clear_nudges(interaction, author.pk, [p.pk for p in others], now)
    return interaction


def record_interaction_from(kind, people, when, source_key):
    """Count something recorded elsewhere in Liaison (a delivered request, a thank-you) as an
    interaction between `people` (Person objects or ids; the first is the author).

    Idempotent on `source_key` (e.g. "requests.delivered:42"): calling it again for the
    same source changes nothing and returns the existing interaction. People of one team,
    or fewer than two people, are not a cross-team tie: returns None. `when` is a date or
    datetime. Never raises for the caller's data: a feed must not break the caller.
    """
    existing = Interaction.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    ids = list(dict.fromkeys(p.pk if isinstance(p, Person) else int(p) for p in people if p is not None))
    found = {p.pk: p for p in Person.objects.filter(pk__in=ids, is_active=True)}
    people = [found[i] for i in ids if i in found]
    if len(people) < 2:
        return None
    day = when.date() if hasattr(when, "date") else when
    now = when if hasattr(when, "date") else timezone.now()
    try:
        with transaction.atomic():
            return log_interaction(people[0], kind=kind, occurred_on=day, participants=people[1:], now=now,
                                   source_key=source_key)
    except ValidationError:
        return None
    except IntegrityError:
        # A concurrent call with the same source_key won the unique key.
        existing = Interaction.objects.filter(source_key=source_key).first()
        if existing is None:
            raise
        return existing


def ties_of(person, today, viewer):
    """[(tie, other Person, strength)] of one person, strongest first, as `viewer` may see them."""
    ties = list(Tie.objects.visible_to(viewer).of(person.pk))
    others = Person.objects.in_bulk([t.other(person.pk) for t in ties])
    rows = [(t, others[t.other(person.pk)], t.strength(today)) for t in ties if t.other(person.pk) in others]
    rows.sort(key=lambda r: -r[2])
    return rows


def warm_path_to(viewer, to, today):
    """The warm path from `viewer` to the person `to` names (an email or an id), looked up
    among the people the viewer may see: (target, graph.explained_path or None).

    An unknown name, and the name of someone hidden from the viewer, are the same field
    error on "to"; so is the viewer themselves.
    """
    from . import graph

    target = find_person(to, field="to", viewer=viewer,
                         missing="Give the email address of the person you want to reach.")
    if target.pk == viewer.pk:
        raise ValidationError({"to": "That is you: give someone you want to reach."})
    return target, graph.explained_path(viewer, target, today)


def tie_between(a_id, b_id):
    return Tie.objects.filter(person_low_id=min(a_id, b_id), person_high_id=max(a_id, b_id)).first()


# --- nudges ------------------------------------------------------------------------------------

def cadence_of(team):
    row = TeamNetworkSettings.objects.filter(team=team).first()
    return row.cadence_days if row else DEFAULT_CADENCE_DAYS


def can_manage_team(person, team):
    return bool(person and person.is_authenticated and (person.is_org_admin or team.lead_id == person.pk))


@transaction.atomic
def set_cadence(team, days, *, by):
    """A team's lead (or an org admin) sets how long the team may go without contact."""
    if not can_manage_team(by, team):
        raise PermissionDenied("Only the team's lead or an org admin may change its cadence.")
    row = TeamNetworkSettings.objects.filter(team=team).first() or TeamNetworkSettings(team=team)
    row.cadence_days = days
    row.full_clean()
    row.save()
    return row


def last_contacts(since):
    """{(team_id, other_team_id): last day anyone of one met anyone of the other}, both
    orientations, over ties active since `since`: one aggregate query in the database."""
    tie, membership = Tie._meta.db_table, Membership._meta.db_table
    sql = (f"SELECT m1.team_id, m2.team_id, MAX(t.last_on) FROM {tie} t "
           f"JOIN {membership} m1 ON m1.person_id = t.person_low_id "
           f"JOIN {membership} m2 ON m2.person_id = t.person_high_id "
           f"WHERE t.last_on >= %s AND m1.team_id <> m2.team_id GROUP BY m1.team_id, m2.team_id")
    contacts = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [since])
        for a, b, last in cursor.fetchall():
            if isinstance(last, str):  # SQLite returns MAX(date) as text
                last = date.fromisoformat(last)
            for key in ((a, b), (b, a)):
                if key not in contacts or contacts[key] < last:
                    contacts[key] = last
    return contacts


def people_worth_knowing(team_ids, today, per_team=3):
    """{team_id: [person ids]}: the lead first, then the best-connected members (most ties
    in the last year) — the people through whom a team is easiest to reach."""
    members = defaultdict(list)
    for team_id, person_id in (Membership.objects.filter(team_id__in=team_ids, person__is_active=True)
                               .values_list("team_id", "person_id")):
        members[team_id].append(person_id)
    everyone = {p for ps in members.values() for p in ps}
    degree = defaultdict(int)
    since = today - timedelta(days=365)
    for field in ("person_low_id", "person_high_id"):
        for chunk_start in range(0, len(everyone), 5000):
            chunk = list(everyone)[chunk_start:chunk_start + 5000]
            for pid, n in _count_ties(field, chunk, since):
                degree[pid] += n
    leads = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "lead_id"))
    result = {}
    for team_id in team_ids:
        ranked = sorted(members.get(team_id, []), key=lambda p: (-degree[p], p))
        lead = leads.get(team_id)
        picks = ([lead] if lead in members.get(team_id, []) else []) + [p for p in ranked if p != lead]
        result[team_id] = picks[:per_team]
    return result


def _count_ties(field, person_ids, since):
    from django.db.models import Count

    return (Tie.objects.filter(**{f"{field}__in": person_ids}, last_on__gte=since)
            .values_list(field).annotate(n=Count("pk")).order_by())


def send_nudges(now):
    """The weekly sweep: nudge every team that depends on another and has not been in touch.

    For each (team, other_team) from the dependency sources, if nobody in `team` has
    interacted with anyone in `other_team` for longer than the team's cadence, create a
    Nudge naming people worth knowing there and notify the team's lead and members.
    Never more than one per pair per cadence: skipped when one was created for the pair
    within the cadence, and unique on (team, other_team, window) against two workers.
    Returns the number of nudges created.
    """
    today = timezone.localdate(now)
    pairs = dependencies.team_dependencies(now)
    if not pairs:
        return 0
    cadences = dict(TeamNetworkSettings.objects.values_list("team_id", "cadence_days"))
    longest = max([DEFAULT_CADENCE_DAYS, *cadences.values()])
    contacts = last_contacts(today - timedelta(days=longest))
    stale = []
    for (team_id, other_id), source_names in pairs.items():
        cadence = cadences.get(team_id, DEFAULT_CADENCE_DAYS)
        last = contacts.get((team_id, other_id))
        if last is None or (today - last).days > cadence:
            stale.append((team_id, other_id, cadence, last, source_names))
    if not stale:
        return 0
    recent = (Nudge.objects.filter(created_at__gte=now - timedelta(days=longest))
              .values_list("team_id", "other_team_id", "created_at"))
    recent_by_pair = defaultdict(list)
    for team_id, other_id, created in recent:
        recent_by_pair[(team_id, other_id)].append(created)
    due = [s for s in stale
           if not any(c > now - timedelta(days=s[2]) for c in recent_by_pair.get((s[0], s[1]), []))]
    if not due:
        return 0
    team_ids = {s[0] for s in due} | {s[1] for s in due}
    names = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    worth = people_worth_knowing({s[1] for s in due}, today)
    person_names = dict(Person.objects.filter(pk__in={p for ps in worth.values() for p in ps})
                        .values_list("pk", "name"))
    day = (today - EPOCH).days
    nudges = []
    for team_id, other_id, cadence, last, source_names in due:
        since = f"since {last:%d %b %Y}" if last else "ever"
        reason = (f"{names[team_id]} depends on {names[other_id]} ({', '.join(source_names)}) "
                  f"and nobody has been in touch {since}.")
        nudges.append(Nudge(team_id=team_id, other_team_id=other_id, window=day // cadence,
                            reason=reason[:300], last_contact_on=last, created_at=now))
    with transaction.atomic():
        Nudge.objects.bulk_create(nudges, batch_size=2000, ignore_conflicts=True)
        created = {(n.team_id, n.other_team_id): n for n in
                   Nudge.objects.filter(created_at=now, team_id__in={s[0] for s in due})}
        Through = Nudge.suggested.through
        Through.objects.bulk_create(
            [Through(nudge_id=n.pk, person_id=p) for (t, o), n in created.items() for p in worth.get(o, [])],
            batch_size=5000, ignore_conflicts=True)
        recipients = defaultdict(set)
        for team_id, person_id in (Membership.objects.filter(team_id__in={t for t, _ in created},
                                                             person__is_active=True)
                                   .values_list("team_id", "person_id")):
            recipients[team_id].add(person_id)
        for team_id, lead_id in Team.objects.filter(pk__in={t for t, _ in created}).values_list("pk", "lead_id"):
            if lead_id:
                recipients[team_id].add(lead_id)
        messages = []
        for (team_id, other_id), nudge in created.items():
            people = ", ".join(person_names.get(p, "") for p in worth.get(other_id, []))
            body = nudge.reason + (f"\n\nPeople worth knowing there: {people}." if people else "")
            body += "\n\nLog an interaction when you have been in touch; it clears this nudge."
            messages.append({"recipients": sorted(recipients[team_id]), "kind": "network.nudge",
                             "subject": f"Time to reconnect with {names[other_id]}", "body": body,
                             "link": f"/network/nudges/#nudge-{nudge.pk}", "dedupe_key": f"network.nudge:{nudge.pk}",
                             "team": team_id})
        send_notifications(messages, now)
    return len(created)


# --- homework (seed 004) ------------------------------------------------------------------------

HOMEWORK_STEPS = ("reached_out", "added_value", "reported")


@transaction.atomic
def start_homework(person, *, colleague, goal="", now=None):
    """Step 1: pick one colleague in another team to invest in."""
    now = now or timezone.now()
    colleague = find_person(colleague, field="colleague", viewer=person, missing="Pick a colleague.")
    if colleague.pk == person.pk:
        raise ValidationError({"colleague": "Pick someone other than yourself."})
    teams = team_ids_of([person.pk, colleague.pk])
    if teams.get(person.pk) and teams.get(person.pk, set()) & teams.get(colleague.pk, set()):
        raise ValidationError({"colleague": f"{colleague} is in your own team: pick someone in another team."})
    if HomeworkPlan.objects.filter(person=person, colleague=colleague, reported_at__isnull=True).exists():
        raise ValidationError({"colleague": f"You already have an open plan with {colleague}."})
    if len(goal or "") > 300:
        raise ValidationError({"goal": "Keep the goal under 300 characters."})
    return HomeworkPlan.objects.create(person=person, colleague=colleague, goal=(goal or "").strip(), created_at=now)


@transaction.atomic
def advance_homework(plan, *, by, step, note="", now=None):
    """Mark the next step done. Steps go in order; reporting back needs a report."""
    now = now or timezone.now()
    if by.pk != plan.person_id:
        raise PermissionDenied("Only the person doing the homework marks its steps.")
    if step not in HOMEWORK_STEPS:
        raise ValidationError({"step": f"Unknown step {step!r}; one of {', '.join(HOMEWORK_STEPS)}."})
    expected = plan.next_step
    if expected is None:
        raise ValidationError({"step": "This plan is complete."})
    if expected["key"] != step:
        raise ValidationError({"step": f"Next comes “{expected['label']}”."})
    note = (note or "").strip()
    if step == "added_value":
        if len(note) > 300:
            raise ValidationError({"note": "Keep it under 300 characters."})
        plan.added_value_at, plan.value_note = now, note
    elif step == "reported":
        if not note:
            raise ValidationError({"note": "Say what happened: the report is the point of this step."})
        plan.reported_at, plan.report = now, note
    else:
        plan.reached_out_at = now
    plan.save()
    return plan


def team_homework(team, viewer):
    """The lead's view of a team's homework: every member, their plans and steps done."""
    if not (viewer.is_org_admin or team.lead_id == viewer.pk):
        raise PermissionDenied("Only the team's lead sees the team's homework.")
    members = list(team.members.filter(is_active=True).order_by("name"))
    plans = defaultdict(list)
    for plan in (HomeworkPlan.objects.filter(person__in=members).select_related("colleague")):
        plans[plan.person_id].append(plan)
    return [{"person": m, "plans": plans.get(m.pk, [])} for m in members]
