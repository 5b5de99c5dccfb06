"""The demo enterprise, built step by step.

A step is a function `step(rng, enterprise, now)`:
- `rng` is a random.Random seeded from the demo's seed *and the step's name*, so a step
  draws the same numbers whatever steps run before it: adding a step never changes
  the data of the others.
- `enterprise` (enterprise.Enterprise) carries what earlier steps built: the org plan,
  teams by name, the story's people by key (enterprise.person("pm_lead")), the story's
  services by name, and `counts` for the summary. A step adds what it makes.
- `now` is the demo's present; a step that makes history (requests, agendas,
  interactions over the past two years) dates it relative to `now`, never to the clock.

To add a step: write `liaison/<domain>/demo.py` with `def build_<thing>(rng, enterprise, now)`
calling the domain's services or bulk operations, then append ("<thing>", build_<thing>) to
STEPS. Report progress with enterprise.report(label, done, total) when a step is long, and
record what it made in enterprise.counts (printed by `liaison demo`).

The order matters only where a step reads what another made: incidents come after the
agenda (the story's incident is opened from its conflict); requests come after the
network (the remote office's answers quicken after the people exchanges) and last, so
that they can mark the history's notifications as sent (liaison.requests.demo).
"""

import random

from django.db import transaction
from django.utils import timezone

from liaison.agenda.demo import build_agenda
from liaison.incidents.demo import build_incidents
from liaison.insights.rollups import rebuild_facts
from liaison.network.demo import build_network, network_counts
from liaison.org.models import Service
from liaison.requests.demo import build_requests

from . import catalogue, enterprise

DEFAULT_PEOPLE = 600
DEFAULT_SEED = 1
MAX_PEOPLE = 50_000


def agenda_step(rng, demo, now):
    """The agenda's step: build_agenda takes the teams and every service by name, and returns its counts."""
    services = {service.name: service for service in Service.objects.select_related("team").order_by("slug")}
    demo.counts.update(build_agenda(rng, now, demo.teams, services))


def health_step(rng, demo, now):
    """Fill the insights fact table at once, so scorecards show before the worker's first sweep."""
    demo.counts["request facts"] = rebuild_facts(now)


STEPS = [
    ("org chart", enterprise.build_org),
    ("accounts", enterprise.build_accounts),
    ("service catalogue", catalogue.build_services),
    ("network", build_network),
    ("agenda", agenda_step),
    # Before requests: its last act marks the history's notifications as sent, these included.
    ("incidents", build_incidents),
    ("requests", build_requests),
    ("relationship health", health_step),
]


def build_demo(*, people=DEFAULT_PEOPLE, seed=DEFAULT_SEED, now=None, progress=None, steps=None):
    """Build the demo enterprise in one transaction; returns the Enterprise.

    progress: optional callable(label, done, total), called as steps and long steps advance.
    """
    now = now or timezone.now()
    result = enterprise.Enterprise(size=people, seed=seed, progress=progress)
    steps = STEPS if steps is None else steps
    with transaction.atomic():
        for number, (name, step) in enumerate(steps):
            result.report("steps", number, len(steps))
            step(random.Random(f"{seed}:{name}"), result, now)
        result.report("steps", len(steps), len(steps))
        if "interactions" in result.counts:
            result.counts.update(network_counts())
    return result
