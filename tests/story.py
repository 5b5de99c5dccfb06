"""The one story helper: people and teams of a test's cast, from a short description.

Every domain's tests tell their story with their own cast (a remote office asking HQ, an
offshore team serving Billing, a network change and a marketing event...), but they build
it here, the same way:

    cast = story(
        people={"paula": "Paula Lead", "pete": ("Pete Provider", {"manager": "paula"})},
        teams={"platform": ("Platform", {"lead": "paula", "members": ["paula", "pete"]})},
        services={"service": ("platform", "Database provisioning", "db", {"lead_time_days": 5})},
    )
    cast.paula, cast.platform, cast.service

A person's email is "<key>@corp.example" unless given; a team's slug is its key with
"_" as "-" unless given; teams and people may name others declared before them (a
manager, a parent team, a lead). Returns a SimpleNamespace with every name.
"""

from types import SimpleNamespace

from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory


def _spec(value):
    return (value, {}) if isinstance(value, str) else value


def story(*, people=None, teams=None, services=None):
    cast = {}
    for key, value in (people or {}).items():
        name, extra = _spec(value)
        extra = dict(extra)
        if "manager" in extra:
            extra["manager"] = cast[extra["manager"]]
        extra.setdefault("email", f"{key}@corp.example")
        cast[key] = PersonFactory(name=name, **extra)
    for key, value in (teams or {}).items():
        name, extra = _spec(value)
        extra = dict(extra)
        members = extra.pop("members", [])
        for field in ("lead", "parent"):
            if field in extra:
                extra[field] = cast[extra[field]]
        extra.setdefault("slug", key.replace("_", "-"))
        cast[key] = TeamFactory(name=name, **extra)
        for member in members:
            MembershipFactory(person=cast[member], team=cast[key])
    for key, (team, name, slug, *rest) in (services or {}).items():
        cast[key] = ServiceFactory(team=cast[team], name=name, slug=slug, **(rest[0] if rest else {}))
    return SimpleNamespace(**cast)


def requests_cast():
    """The requests tests' cast: a remote office asking a service at HQ.

        Company (lead: Cleo, CEO)
        ├── Platform  (lead: Paula, whose manager is Victor)  — provides "Database provisioning"
        │     members: Paula, Pete
        └── Remote Office (lead: Rita)                        — asks
              members: Rita, Remy
        Other Team: Olga, an outsider to both
    """
    return story(
        people={"victor": "Victor VP", "cleo": "Cleo CEO", "paula": ("Paula Lead", {"manager": "victor"}),
                "pete": ("Pete Provider", {"manager": "paula"}), "rita": ("Rita Lead", {"manager": "cleo"}),
                "remy": ("Remy Requester", {"manager": "rita"}), "olga": "Olga Outsider"},
        teams={"company": ("Company", {"lead": "cleo"}),
               "platform": ("Platform", {"lead": "paula", "parent": "company", "members": ["paula", "pete"]}),
               "remote": ("Remote Office", {"slug": "remote-office", "lead": "rita", "parent": "company",
                                            "members": ["rita", "remy"]}),
               "other": ("Other Team", {"slug": "other-team", "members": ["olga"]})},
        services={"service": ("platform", "Database provisioning", "db", {"lead_time_days": 5})})
