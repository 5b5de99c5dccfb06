"""Domain events → the teams' chat webhooks (liaison.notify.webhooks), through a registry.

notify knows people, teams and channels, not requests or agenda items: a domain whose
rows are worth a chat message registers them here (in its AppConfig.ready()) with two
functions — which teams a row concerns, and the message it makes — and notify listens
for new rows of that model. liaison.requests registers its RequestEvent this way.

It costs no query per row when no team has a webhook: the set of teams with an active
webhook is cached per process for a short while (_TTL) and dropped whenever a webhook
changes in this process. Rows written by bulk_create send no signal: their writer calls
announce_created() with them.
"""

import time

from django.db.models.signals import post_delete, post_save

from .models import TeamWebhook
from .webhooks import notify_team

_TTL = 30.0
_cache = {"at": 0.0, "teams": frozenset()}
_sources = {}


def teams_with_webhooks():
    if time.monotonic() - _cache["at"] > _TTL:
        _cache["teams"] = frozenset(TeamWebhook.objects.filter(active=True).values_list("team_id", flat=True))
        _cache["at"] = time.monotonic()
    return _cache["teams"]


def _forget(**kwargs):
    _cache["at"] = 0.0


def register_source(model, *, teams, message):
    """Post new rows of `model` to their teams' chat webhooks.

    `teams(row)` gives the ids of the teams the row concerns (no query, please: it runs
    for every new row while any team has a webhook); `message(row)` gives the keyword
    arguments of notify_team() but the team: kind, subject, body, link, dedupe_key, now.
    """
    _sources[model] = (teams, message)
    post_save.connect(_on_save, sender=model, dispatch_uid=f"notify.chat.{model._meta.label}")


def _on_save(sender, instance, created, **kwargs):
    if created:
        announce_created(sender, [instance])


def announce_created(model, rows):
    """Queue the chat messages of new `rows` of a registered model (for bulk inserts)."""
    hooked = teams_with_webhooks()
    if not hooked or model not in _sources:
        return
    teams, message = _sources[model]
    for row in rows:
        concerned = set(teams(row)) & hooked
        if concerned:
            text = message(row)
            for team_id in sorted(concerned):
                notify_team(team_id, **text)


def connect():
    """Called by NotifyConfig.ready()."""
    for signal, what in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(_forget, sender=TeamWebhook, dispatch_uid=f"notify.chat.webhook_{what}")
