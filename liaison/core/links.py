"""Where upper domains put their links on shared pages, without those pages importing them.

The directory (org) is the ground floor and must not know requests, agenda, network or
insights; yet a team page should lead to the team's inbox, calendar and network. Each
domain registers its links here in AppConfig.ready(); the pages ask for them:

    register("team", "Calendar", "agenda:calendar", arg="slug", order=20)
    register("nav", "Agenda", "agenda:overview", active="agenda:")

Places: "nav" (the main navigation; no object), "team" (a Team), "service" (a Service).
"""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    arg: str | None = None       # attribute of the object passed to reverse(), e.g. "slug"
    query: str = ""              # appended query, formatted with the object: "?service={obj.slug}"
    order: int = 50
    active: str = ""             # view-name prefix that marks the link current (nav)
    show: object = None          # callable(user, obj) -> bool; None = always


_places: dict[str, list[Link]] = {"nav": [], "team": [], "service": []}


def register(place, label, url_name, **options):
    link = Link(label, url_name, **options)
    links = _places.setdefault(place, [])
    if link not in links:
        links.append(link)
    return link


def links_for(place, user, obj=None, view_name=""):
    """[(label, href, is_current)] for `place`, in order, filtered by each link's `show`."""
    result = []
    for link in sorted(_places.get(place, []), key=lambda item: (item.order, item.label)):
        if link.show is not None and not link.show(user, obj):
            continue
        args = [getattr(obj, link.arg)] if link.arg else []
        href = reverse(link.url_name, args=args) + link.query.format(obj=obj)
        current = bool(link.active) and view_name.startswith(link.active)
        result.append((link.label, href, current))
    return result
