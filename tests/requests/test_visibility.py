"""Who sees a request: the two teams, the requester, leads and their managers up the tree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from liaison.requests.models import Request
from tests.factories import MembershipFactory, PersonFactory, TeamFactory
from tests.requests.conftest import make_request


@pytest.fixture
def seen_by(cast):
    def _seen_by(person):
        return set(Request.objects.visible_to(person).values_list("pk", flat=True))
    return _seen_by


def test_both_teams_and_the_leads_up_the_tree_see_it(cast, submitted, seen_by):
    for person in (cast.remy, cast.rita, cast.pete, cast.paula, cast.cleo, cast.victor):
        assert seen_by(person) == {submitted.pk}, person


def test_everyone_else_sees_nothing(cast, submitted, seen_by):
    assert seen_by(cast.olga) == set()
    assert not Request.objects.visible_to(AnonymousUser()).exists()
    cast.remy.is_active = False
    assert seen_by(cast.remy) == set()


def test_a_lead_of_a_sibling_team_does_not_see_it(cast, submitted, seen_by):
    lead = PersonFactory(name="Sid Sibling")
    TeamFactory(name="Sibling", slug="sibling", lead=lead, parent=cast.company)
    assert seen_by(lead) == set()


def test_managers_of_leads_see_requests_of_deeper_teams(cast, seen_by):
    sub = TeamFactory(name="Remote Office Lisbon", slug="lisbon", parent=cast.remote)
    lisbon = PersonFactory(name="Lia Lisbon")
    MembershipFactory(person=lisbon, team=sub)
    request = make_request(cast, requester=lisbon)
    assert seen_by(cast.rita) == {request.pk}  # leads the parent team
    assert seen_by(cast.cleo) == {request.pk}  # leads the root
    assert seen_by(cast.remy) == set()  # a member of the parent team, not a lead


def test_the_requester_keeps_seeing_their_request_after_leaving_the_team(cast, submitted, seen_by):
    cast.remy.memberships.all().delete()
    assert seen_by(cast.remy) == {submitted.pk}


def test_visible_to_costs_few_queries_for_a_member(cast, submitted, django_assert_num_queries):
    with django_assert_num_queries(3):  # reports, led teams, then the list
        list(Request.objects.visible_to(cast.remy))
