"""Request events → the provider team's chat webhooks (liaison.notify.webhooks).

This bridge lives here because notify may not import requests (notify knows people and
channels) and the requests files belong to another part of the code; mail already stands
on requests. It costs no query per event when no team has a webhook: the set of teams
with an active webhook is cached per process for a short while and dropped whenever a
webhook changes in this process.
"""

import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from liaison.notify.models import TeamWebhook
from liaison.notify.webhooks import notify_team
from liaison.requests.models import RequestEvent

_TTL = 30.0
_cache = {"at": 0.0, "teams": frozenset()}


def teams_with_webhooks():
    if time.monotonic() - _cache["at"] > _TTL:
        _cache["teams"] = frozenset(TeamWebhook.objects.filter(active=True).values_list("team_id", flat=True))
        _cache["at"] = time.monotonic()
    return _cache["teams"]


@receiver([post_save, post_delete], sender=TeamWebhook)
def _forget(**kwargs):
    _cache["at"] = 0.0


@receiver(post_save, sender=RequestEvent)
def request_event_to_chat(sender, instance, created, **kwargs):
    if not created:
        return
    teams = teams_with_webhooks()
    for team_id in {instance.provider_team_id, instance.requester_team_id} & teams:
        request = instance.request
        actor = f"{instance.actor} " if instance.actor_id else ""
        text = instance.data.get("text") or instance.data.get("note") or ""
        notify_team(team_id, kind=f"request.{instance.kind}",
                    subject=f"#{request.pk} {request.title}: {actor}{instance.get_kind_display().lower()}",
                    body=str(text)[:1000], link=request.get_absolute_url(),
                    dedupe_key=f"request-event:{instance.pk}", now=instance.at)
