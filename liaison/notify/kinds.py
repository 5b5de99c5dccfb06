"""The catalogue of notification kinds a person can choose about on the preferences page.

notify never imports the domains that use it, so each domain registers its kinds here
(a kind, a group heading and a sentence a person understands), in its AppConfig.ready():
every kind is known once Django is set up, whatever is imported later.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str
    label: str


_CATALOGUE: dict[str, Kind] = {}


def register(group, kinds):
    """register("Requests", {"request.submitted": "A new request to my team", ...})."""
    for kind, label in kinds.items():
        _CATALOGUE[kind] = Kind(kind, group, label)


def catalogue():
    """Registered kinds, grouped and in registration order: [(group, [Kind, ...]), ...]."""
    groups = {}
    for k in _CATALOGUE.values():
        groups.setdefault(k.group, []).append(k)
    return list(groups.items())
