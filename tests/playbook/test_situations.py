"""One test per situation: the expected moves appear, in rank order, for the right people
only; moves not yet allowed say why and offer the step that allows them."""

import datetime as dt

import pytest
from django.utils import timezone

from liaison.agenda import services as agenda
from liaison.network.models import Nudge
from liaison.playbook.advisor import advise
from liaison.playbook.models import Rule, Suggestion
from liaison.playbook.situations import conflict_subjects, nudge_subjects, request_subjects, subject_for_link
from liaison.requests import services
from tests.agenda.conftest import NOW as AGENDA_NOW
from tests.requests.conftest import NOW, days, make_request

pytestmark = pytest.mark.django_db


def moves(obj, person, now, situation=None):
    kind = {"Request": request_subjects, "Conflict": conflict_subjects, "Nudge": nudge_subjects}[type(obj).__name__]
    subject = kind([obj], now)[0]
    advice = advise([subject], person, now).get(subject.link, [])
    return {a.situation: [s.move for s in a.steps] for a in advice if situation in (None, a.situation)}


def steps(obj, person, now, situation):
    subject = request_subjects([obj], now)[0]
    return next(a.steps for a in advise([subject], person, now)[subject.link] if a.situation == situation)


def test_short_notice_received_the_provider_acknowledges_first_the_requester_offers_options(cast):
    req = make_request(cast, need_by=days(3), short_notice_owned="Our client moved the go-live; sorry.")
    assert req.short_notice
    assert moves(req, cast.pete, NOW)["short_notice"] == ["acknowledge", "commit", "book_call"]
    assert moves(req, cast.remy, NOW)["short_notice"] == ["book_call", "offer_options"]
    assert moves(req, cast.olga, NOW) == {}  # an outsider: nothing
    assert moves(req, cast.victor, NOW) == {}  # a manager above follows, the teams act


def test_a_request_with_enough_notice_is_no_situation(cast):
    assert moves(make_request(cast, need_by=days(21)), cast.pete, NOW) == {}


def test_overdue_commitment_provider_owns_it_requester_warns_before_escalating(cast):
    req = make_request(cast)
    services.commit_to_date(req, by=cast.pete, date=days(4), now=NOW)
    later = NOW + dt.timedelta(days=6)
    assert moves(req, cast.pete, later, "overdue")["overdue"] == ["progress", "slip", "raise_blocker"]
    remy = steps(req, cast.remy, later, "overdue")
    assert [s.move for s in remy] == ["book_call", "warn", "escalate"]
    escalate = remy[2]
    assert "warning first" in escalate.blocked and escalate.enabling.move == "warn"
    assert not remy[1].blocked


def test_escalate_is_allowed_only_after_the_grace_period(cast):
    req = make_request(cast)
    services.commit_to_date(req, by=cast.pete, date=days(4), now=NOW)
    later = NOW + dt.timedelta(days=6)
    warning = services.warn_before_escalating(req, by=cast.remy, now=later)
    during = steps(req, cast.remy, later, "overdue")
    assert {s.move: bool(s.blocked) for s in during} == {"book_call": False, "warn": True, "escalate": True}
    assert "escalation opens on" in during[2].blocked
    after = dt.datetime.combine(warning.deadline + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    assert not steps(req, cast.remy, after, "overdue")[2].blocked


def test_moved_past_a_hard_date(cast):
    req = make_request(cast, need_by=days(10), date_kind="hard")
    services.commit_to_date(req, by=cast.pete, date=days(8), now=NOW)
    services.change_commitment(req, by=cast.pete, new_date=days(12), reason="The vendor is late.", now=NOW)
    assert moves(req, cast.remy, NOW)["past_hard_date"] == ["book_call", "log_impact", "warn", "business_case"]
    assert moves(req, cast.pete, NOW)["past_hard_date"] == ["book_call", "offer_options"]


def test_a_second_slip(cast):
    req = make_request(cast, need_by=days(30), date_kind="flexible")
    services.commit_to_date(req, by=cast.pete, date=days(8), now=NOW)
    services.change_commitment(req, by=cast.pete, new_date=days(10), reason="Vendor late.", now=NOW)
    assert "second_slip" not in moves(req, cast.remy, NOW)
    services.change_commitment(req, by=cast.pete, new_date=days(12), reason="Vendor late again.", now=NOW)
    assert moves(req, cast.remy, NOW)["second_slip"] == ["book_call", "warn", "business_case"]
    assert moves(req, cast.pete, NOW)["second_slip"] == ["book_call", "raise_blocker"]


def test_a_delivery_then_thanks_no_longer_offered_once_sent(cast):
    req = make_request(cast)
    services.deliver(req, by=cast.pete, now=NOW)
    assert moves(req, cast.remy, NOW)["delivery"] == ["accept", "thank", "reopen"]
    assert moves(req, cast.pete, NOW) == {}
    services.accept(req, by=cast.remy, quality=5, now=NOW)
    assert moves(req, cast.remy, NOW)["delivery"] == ["thank"]
    services.thank(req, by=cast.remy, message="It saved the go-live.", now=NOW)
    assert moves(req, cast.remy, NOW) == {}


@pytest.mark.parametrize("how", ["many replies", "many people", "hostile"])
def test_a_long_or_heated_thread_suggests_a_call_on_both_sides(cast, how):
    req = make_request(cast)
    if how == "many replies":
        for n in range(6):
            services.comment(req, by=[cast.remy, cast.pete][n % 2], text=f"Point {n}, see above.", now=NOW)
    elif how == "many people":
        for person in (cast.remy, cast.rita, cast.pete, cast.paula):
            services.comment(req, by=person, text="Noted, thanks.", now=NOW - dt.timedelta(days=2))
        assert "heated_thread" not in moves(req, cast.pete, NOW)
        from tests.factories import MembershipFactory, PersonFactory
        fifth = PersonFactory()
        MembershipFactory(person=fifth, team=cast.remote)
        services.comment(req, by=fifth, text="Adding myself.", now=NOW - dt.timedelta(days=1))
    else:
        services.comment(req, by=cast.remy, text="This is ridiculous. You people are useless and incompetent.",
                         now=NOW)
    assert moves(req, cast.remy, NOW)["heated_thread"] == ["book_call", "book_meeting"]
    assert moves(req, cast.pete, NOW)["heated_thread"] == ["book_call", "book_meeting"]
    assert moves(req, cast.olga, NOW) == {}


def test_polite_replies_are_not_heated(cast):
    req = make_request(cast)
    services.comment(req, by=cast.remy, text="Thanks, that works for us. Unfortunately Friday is a holiday.", now=NOW)
    assert "heated_thread" not in moves(req, cast.remy, NOW)


def test_a_new_lead_on_the_other_side(cast):
    from liaison.org.models import Membership

    req = make_request(cast)
    Membership.objects.update(joined_at=NOW - dt.timedelta(days=400))
    assert "new_lead" not in moves(req, cast.remy, NOW)
    Membership.objects.filter(person=cast.paula, team=cast.platform).update(joined_at=NOW - dt.timedelta(days=90))
    assert "new_lead" not in moves(req, cast.remy, NOW)  # took over three months ago: not new any more
    Membership.objects.filter(person=cast.paula, team=cast.platform).update(joined_at=NOW - dt.timedelta(days=5))
    assert moves(req, cast.remy, NOW)["new_lead"] == ["book_meeting"]
    assert "new_lead" not in moves(req, cast.pete, NOW)  # Paula is Pete's own lead, not the other side's


def test_a_conflict_customer_and_service_get_their_own_moves(story, upgrade):
    conflict = upgrade.conflicts.get()
    customer = moves(conflict, story.lc, AGENDA_NOW)["conflict"]
    assert customer == ["ask_delay", "book_call", "invite_teams", "log_impact", "accept_risk", "business_case",
                        "retrospective"]
    assert moves(conflict, story.ls, AGENDA_NOW)["conflict"] == ["reschedule", "book_call", "mitigate",
                                                                 "invite_teams"]
    # a customer team member who is not its lead: accepting the risk says why not, and who can
    subject = conflict_subjects([conflict], AGENDA_NOW)[0]
    mia = advise([subject], story.marketer, AGENDA_NOW)[subject.link][0]
    accept = next(s for s in mia.steps if s.move == "accept_risk")
    assert "Only the customer team's lead" in accept.blocked and "Carla Customer" in accept.blocked
    assert moves(conflict, story.video and _outsider(), AGENDA_NOW) == {}
    agenda.accept_risk(conflict, by=story.lc, now=AGENDA_NOW, text="We go ahead.")
    conflict.refresh_from_db()
    assert moves(conflict, story.lc, AGENDA_NOW) == {}


def _outsider():
    from tests.factories import PersonFactory

    return PersonFactory(name="Otto Outsider")


def test_a_relationship_gone_quiet(cast):
    nudge = Nudge.objects.create(team=cast.remote, other_team=cast.platform, window=1, created_at=NOW,
                                 reason="You depend on Platform and nobody talked to them for 60 days.")
    assert moves(nudge, cast.remy, NOW)["quiet"] == ["book_meeting", "log_interaction", "homework"]
    assert moves(nudge, cast.pete, NOW) == {}


def test_rules_are_data_an_admin_reorders_or_turns_off_a_move(cast):
    req = make_request(cast, need_by=days(3), short_notice_owned="Sorry, the client moved.")
    Rule.objects.filter(situation="short_notice", move="commit", side="serving").update(rank=0)
    Rule.objects.filter(situation="short_notice", move="book_call").update(enabled=False)
    assert moves(req, cast.pete, NOW)["short_notice"] == ["commit", "acknowledge"]


def test_suggestions_are_recorded_once_then_taken_and_followed(cast):
    from liaison.playbook.outcomes import judge

    req = make_request(cast)
    services.commit_to_date(req, by=cast.pete, date=days(4), now=NOW)
    later = NOW + dt.timedelta(days=6)
    moves(req, cast.remy, later)
    moves(req, cast.remy, later + dt.timedelta(hours=1))  # shown again: still one row per move
    assert Suggestion.objects.filter(person=cast.remy, situation="overdue").count() == 2  # escalate is blocked
    services.warn_before_escalating(req, by=cast.remy, now=later + dt.timedelta(hours=2))
    services.change_commitment(req, by=cast.pete, new_date=days(9), reason="Still waiting.",
                               now=later + dt.timedelta(hours=2))
    judge(later + dt.timedelta(hours=3))
    warn = Suggestion.objects.get(person=cast.remy, move="warn")
    assert warn.taken_at == later + dt.timedelta(hours=2)
    assert warn.outcome == "slipped"
    call = Suggestion.objects.get(person=cast.remy, move="book_call")
    assert call.taken_at is None and call.outcome == "slipped"


def test_the_outcome_of_a_taken_move_is_resolved_when_delivered(cast):
    from liaison.playbook.outcomes import judge

    req = make_request(cast, need_by=days(3), short_notice_owned="Sorry, the client moved.")
    moves(req, cast.pete, NOW)
    services.acknowledge(req, by=cast.pete, now=NOW + dt.timedelta(minutes=5))
    judge(NOW + dt.timedelta(minutes=6))
    ack = Suggestion.objects.get(person=cast.pete, move="acknowledge")
    assert ack.taken_at is not None and ack.outcome == ""
    services.deliver(req, by=cast.pete, now=NOW + dt.timedelta(days=1))
    judge(NOW + dt.timedelta(days=1, minutes=1))
    ack.refresh_from_db()
    assert ack.outcome == "resolved"


def test_a_suggestion_nothing_followed_is_closed_as_still_open_after_sixty_days(cast):
    from liaison.playbook.outcomes import judge

    req = make_request(cast, need_by=days(3), short_notice_owned="Sorry, the client moved.")
    moves(req, cast.remy, NOW)
    assert judge(NOW + dt.timedelta(days=59)) == 0
    assert judge(NOW + dt.timedelta(days=61)) == 2
    assert set(Suggestion.objects.values_list("outcome", flat=True)) == {"open"}


def test_a_link_is_a_subject_only_for_who_may_see_it(cast):
    req = make_request(cast)
    assert subject_for_link(req.get_absolute_url(), cast.remy, NOW).obj == req
    assert subject_for_link(req.get_absolute_url(), cast.olga, NOW) is None
    assert subject_for_link("/requests/x/", cast.remy, NOW) is None


def test_an_incident_the_affected_log_and_ally_the_service_side_writes_the_causes(world):
    from liaison.incidents import services as incidents
    from liaison.playbook.situations import incident_subjects
    from tests.factories import PersonFactory

    now = timezone.now()
    incident = incidents.open_incident(by=world.carla, now=now, title="The webinar lost its network",
                                       conflict=world.conflict)

    def of(person):
        subject = incident_subjects([incident], now)[0]
        return {a.situation: [s.move for s in a.steps] for a in advise([subject], person, now).get(subject.link, [])}

    assert of(world.carla)["incident"] == ["log_impact", "invite_teams", "retrospective", "business_case"]
    assert of(world.mia)["incident"] == ["log_impact", "invite_teams", "retrospective", "business_case"]
    assert of(world.lars)["incident"] == ["retrospective", "book_call", "causes"]
    assert of(PersonFactory()) == {}
    subject = incident_subjects([incident], now)[0]
    steps = {s.move: s.url for a in advise([subject], world.carla, now)[subject.link] for s in a.steps}
    assert steps["log_impact"] == f"/incidents/{incident.pk}/#impacts"
    assert steps["business_case"] == f"/insights/incidents/{incident.pk}/business-case/"
    incidents.mark_stable(incident, by=world.lars, now=now)
    incidents.close(incident, by=world.lars, now=now)
    assert of(world.carla) == {}
