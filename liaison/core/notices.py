"""Where upper domains put notices on shared pages, without those pages importing them.

The request page (requests) must not import mail, yet a request filed from a mail whose
Reply-To differs from its From, or one of several requests filed from one mail, should
say so where people read it. A domain registers a provider in AppConfig.ready():

    register("request", mail_notices)   # mail_notices(user, request) -> [Notice, ...]

and the page asks `notices_for("request", user, request)`. Providers see only what the
viewer may see (the page has already checked the object itself).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notice:
    text: str
    links: tuple = field(default=())  # (label, url) pairs shown after the text
    level: str = "warn"               # "warn" or "info"


_providers: dict[str, list] = {}


def register(place, provider):
    providers = _providers.setdefault(place, [])
    if provider not in providers:
        providers.append(provider)
    return provider


def notices_for(place, user, obj):
    return [notice for provider in _providers.get(place, ()) for notice in provider(user, obj)]
