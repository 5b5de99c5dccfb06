from datetime import timedelta

from liaison.network import sweeps
from liaison.network.models import Interaction, Kind
from liaison.network.services import tie_between
from liaison.requests.models import RequestEvent
from tests.factories import RequestFactory, ServiceFactory
from tests.network.conftest import NOW


def event(request, kind, actor, at):
    return RequestEvent.objects.create(request=request, kind=kind, actor=actor, at=at,
                                       provider_team=request.provider_team, requester_team=request.requester_team)


def test_deliveries_and_thanks_become_interactions_once(world):
    request = RequestFactory(requester=world["ana"], requester_team=world["remote"],
                             service=ServiceFactory(team=world["hq"]))
    event(request, "delivered", world["raj"], NOW - timedelta(hours=3))
    event(request, "thanked", world["ana"], NOW - timedelta(hours=1))
    event(request, "delivered", world["sue"], NOW - timedelta(days=5))  # outside the lookback
    assert sweeps.interactions_from_requests(NOW) == 2
    assert sweeps.interactions_from_requests(NOW) == 0  # idempotent
    kinds = sorted(Interaction.objects.values_list("kind", flat=True))
    assert kinds == [Kind.DELIVERY, Kind.THANKS]
    assert tie_between(world["ana"].pk, world["raj"].pk).interactions == 2
    assert tie_between(world["ana"].pk, world["sue"].pk) is None
