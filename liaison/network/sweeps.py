"""The network domain's periodic sweeps (registered with liaison.core.sweeps)."""

from datetime import timedelta

from django.apps import apps

from liaison.core.sweeps import sweep

from .models import Interaction, Kind
from .services import record_interaction_from, send_nudges

WEEK = 7 * 24 * 3600


@sweep("network.nudges", every=WEEK)
def weekly_nudges(now):
    """Nudge teams that have lost touch with a team they depend on (see services.send_nudges)."""
    return send_nudges(now)


@sweep("network.request_interactions", every=600)
def interactions_from_requests(now, lookback=timedelta(days=2)):
    """Count delivered requests and thank-yous (liaison.requests' events) as interactions.

    Reads the requests domain's RequestEvent rows by model name, so network imports
    nothing of requests and runs without it. A delivery ties the deliverer and the
    requester; a thank-you ties the requester and whoever delivered. Idempotent: each
    event becomes at most one interaction (source_key "requests.event:<id>"); the
    lookback covers a worker that was down for up to two days.
    """
    try:
        RequestEvent = apps.get_model("requests", "RequestEvent")
    except LookupError:
        return 0
    events = list(RequestEvent.objects.filter(kind__in=["delivered", "thanked"], at__gte=now - lookback, at__lte=now,
                                              actor__isnull=False)
                  .values_list("pk", "kind", "actor_id", "request_id", "request__requester_id", "at"))
    keys = {pk: f"requests.event:{pk}" for pk, *_ in events}
    done = set(Interaction.objects.filter(source_key__in=keys.values()).values_list("source_key", flat=True))
    made = 0
    for pk, kind, actor_id, request_id, requester_id, at in events:
        if keys[pk] in done:
            continue
        if kind == "delivered":
            people, interaction_kind = [actor_id, requester_id], Kind.DELIVERY
        else:
            deliverer = (RequestEvent.objects.filter(request_id=request_id, kind="delivered", actor__isnull=False)
                         .order_by("-at").values_list("actor_id", flat=True).first())
            people, interaction_kind = [actor_id, deliverer], Kind.THANKS
        made += record_interaction_from(interaction_kind, people, at, keys[pk]) is not None
    return made
