"""The directory over HTTP: teams, people, services, dependencies, and the caller's tokens.

Thin handlers: parse (ninja schemas), look up what the caller may see
(`Model.objects.visible_to(request.auth)`), call a service from `liaison.org.services`,
render a schema. Reads are open to everyone signed in; writes to org admins
(`services.require_org_admin`). Each detail read costs a fixed number of queries, and
each list two (count and page) plus authentication, however many rows it holds.

References in bodies use what a person can read: teams and services by slug, people by id.
An unknown reference is a 400 naming the field, like any other invalid value.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from . import services
from .models import ApiToken, Person, Service, Team
from .schemas import (
    DependencyIn,
    Invalid,
    Me,
    Message,
    Pages,
    PersonDetail,
    PersonIn,
    PersonOut,
    PersonPatch,
    Search,
    ServiceDetail,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    Slug,
    TeamDetail,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
)

router = Router(tags=["directory"])

READ_ERRORS = {401: Message, 404: Message}
WRITE_ERRORS = {400: Invalid, 401: Message, 403: Message, 404: Message}


# --- lookups: what the caller may see --------------------------------------------------

def _teams(user):
    return Team.objects.visible_to(user).select_related("parent", "lead")


def _team_detail(user, **lookup):
    return get_object_or_404(_teams(user).prefetch_related(
        Prefetch("children", queryset=Team.objects.visible_to(user)),
        Prefetch("members", queryset=Person.objects.visible_to(user)),
        Prefetch("services", queryset=Service.objects.visible_to(user).select_related("team")),
    ), **lookup)


def _people(user):
    return Person.objects.visible_to(user).select_related("manager")


def _person_detail(user, people=None, **lookup):
    people = _people(user) if people is None else people
    return get_object_or_404(people.select_related("manager").prefetch_related(
        Prefetch("teams", queryset=Team.objects.visible_to(user)),
        Prefetch("led_teams", queryset=Team.objects.visible_to(user)),
    ), **lookup)


def _services(user):
    return Service.objects.visible_to(user).select_related("team")


def _service_detail(user, **lookup):
    linked = Service.objects.visible_to(user).select_related("team")
    return get_object_or_404(_services(user).prefetch_related(
        Prefetch("depends_on", queryset=linked), Prefetch("dependents", queryset=linked),
    ), **lookup)


def _ref(queryset, field, label, **lookup):
    """The object a body field names, or a 400 naming that field."""
    found = queryset.filter(**lookup).first()
    if found is None:
        value = next(iter(lookup.values()))
        raise ValidationError({field: f"No {label} {value!r}."})
    return found


def _resolve(user, fields, teams=(), people=()):
    """Replace slugs/ids in `fields` (a dict of set fields) by the objects they name."""
    for name in teams:
        if fields.get(name) is not None:
            fields[name] = _ref(Team.objects.visible_to(user), name, "team with slug", slug=fields[name])
    for name in people:
        if fields.get(name) is not None:
            fields[name] = _ref(Person.objects.visible_to(user), name, "person with id", pk=fields[name])
    return fields


# --- teams ------------------------------------------------------------------------------

class TeamFilters(Schema):
    q: Search = ""
    parent: Slug | None = None


@router.get("/teams", response={200: list[TeamOut], **READ_ERRORS}, summary="List teams")
@paginate(Pages)
def list_teams(request, filters: Query[TeamFilters]):
    """Teams by name. `q` searches names and descriptions; `parent` (a slug) lists that team's direct children."""
    teams = _teams(request.auth)
    teams = teams.search(filters.q)
    if filters.parent is not None:
        parent = _ref(Team.objects.visible_to(request.auth), "parent", "team with slug", slug=filters.parent)
        teams = teams.filter(parent=parent)
    return teams


@router.get("/teams/{slug}", response={200: TeamDetail, **READ_ERRORS}, summary="A team")
def get_team(request, slug: Slug):
    """A team with its parent, lead, sub-teams, members and services."""
    return _team_detail(request.auth, slug=slug)


@router.post("/teams", response={201: TeamDetail, **WRITE_ERRORS}, summary="Create a team")
def create_team(request, payload: TeamIn):
    services.require_org_admin(request.auth)
    fields = _resolve(request.auth, payload.model_dump(), teams=["parent"], people=["lead"])
    team = services.create_team(**fields)
    return Status(201, _team_detail(request.auth, pk=team.pk))


@router.patch("/teams/{slug}", response={200: TeamDetail, **WRITE_ERRORS}, summary="Change a team")
def update_team(request, slug: Slug, payload: TeamPatch):
    """Only the fields sent change; `parent: null` makes a root team, `lead: null` removes the lead."""
    services.require_org_admin(request.auth)
    team = get_object_or_404(Team.objects.visible_to(request.auth), slug=slug)
    fields = _resolve(request.auth, payload.model_dump(exclude_unset=True), teams=["parent"], people=["lead"])
    services.update_team(team, **fields)
    return _team_detail(request.auth, pk=team.pk)


# --- people -----------------------------------------------------------------------------

@router.get("/people", response={200: list[PersonOut], **READ_ERRORS}, summary="List people")
@paginate(Pages)
def list_people(request, q: Search = ""):
    """Active people by name. `q` searches name, email and title."""
    return _people(request.auth).search(q)


@router.get("/people/{person_id}", response={200: PersonDetail, **READ_ERRORS}, summary="A person")
def get_person(request, person_id: int):
    """A person's profile, teams and led teams. Sensitive attributes are never served here."""
    return _person_detail(request.auth, pk=person_id)


@router.post("/people", response={201: PersonDetail, **WRITE_ERRORS}, summary="Add a person")
def create_person(request, payload: PersonIn):
    """Adds a person without a usable password: they set one by mail, or sign in through SSO."""
    services.require_org_admin(request.auth)
    fields = _resolve(request.auth, payload.model_dump(), people=["manager"])
    person = services.create_person(**fields)
    return Status(201, _person_detail(request.auth, pk=person.pk))


@router.patch("/people/{person_id}", response={200: PersonDetail, **WRITE_ERRORS}, summary="Change a person")
def update_person(request, person_id: int, payload: PersonPatch):
    """Only the fields sent change. `is_active: false` deactivates: the person and their tokens stop working."""
    services.require_org_admin(request.auth)
    # Deactivated people are out of the directory, but an admin must be able to bring them back.
    person = get_object_or_404(Person.objects.all(), pk=person_id)
    fields = _resolve(request.auth, payload.model_dump(exclude_unset=True), people=["manager"])
    services.update_person(person, **fields)
    return _person_detail(request.auth, people=Person.objects.all(), pk=person.pk)


@router.get("/me", response={200: Me, 401: Message}, summary="Who am I")
def me(request):
    """The caller: profile, teams, and roles (member, team lead, org admin, auditor)."""
    return _person_detail(request.auth, pk=request.auth.pk)


# --- services ---------------------------------------------------------------------------

class ServiceFilters(Schema):
    q: Search = ""
    team: Slug | None = None


@router.get("/services", response={200: list[ServiceOut], **READ_ERRORS}, summary="List services")
@paginate(Pages)
def list_services(request, filters: Query[ServiceFilters]):
    """The service catalogue by name. `q` searches name, description and team; `team` (a slug) filters."""
    found = _services(request.auth).search(filters.q)
    if filters.team is not None:
        team = _ref(Team.objects.visible_to(request.auth), "team", "team with slug", slug=filters.team)
        found = found.filter(team=team)
    return found


@router.get("/services/{slug}", response={200: ServiceDetail, **READ_ERRORS}, summary="A service")
def get_service(request, slug: Slug):
    """A service's published terms, what it depends on, and what depends on it."""
    return _service_detail(request.auth, slug=slug)


@router.post("/services", response={201: ServiceDetail, **WRITE_ERRORS}, summary="Create a service")
def create_service(request, payload: ServiceIn):
    services.require_org_admin(request.auth)
    fields = _resolve(request.auth, payload.model_dump(), teams=["team"])
    if fields["slug"] is None:
        del fields["slug"]
    service = services.create_service(**fields)
    return Status(201, _service_detail(request.auth, pk=service.pk))


@router.patch("/services/{slug}", response={200: ServiceDetail, **WRITE_ERRORS}, summary="Change a service")
def update_service(request, slug: Slug, payload: ServicePatch):
    """Only the fields sent change. The slug (the intake address) does not."""
    services.require_org_admin(request.auth)
    service = get_object_or_404(Service.objects.visible_to(request.auth), slug=slug)
    fields = _resolve(request.auth, payload.model_dump(exclude_unset=True), teams=["team"])
    services.update_service(service, **fields)
    return _service_detail(request.auth, pk=service.pk)


@router.post("/services/{slug}/dependencies", response={201: ServiceDetail, **WRITE_ERRORS},
             summary="Record a dependency")
def add_dependency(request, slug: Slug, payload: DependencyIn):
    """This service depends on `depends_on`. A dependency that would close a cycle is refused (400)."""
    services.require_org_admin(request.auth)
    service = get_object_or_404(Service.objects.visible_to(request.auth), slug=slug)
    other = _ref(Service.objects.visible_to(request.auth), "depends_on", "service with slug",
                 slug=payload.depends_on)
    services.add_dependency(service, other)
    return Status(201, _service_detail(request.auth, pk=service.pk))


@router.delete("/services/{slug}/dependencies/{other_slug}", response={204: None, **WRITE_ERRORS},
               summary="Remove a dependency")
def remove_dependency(request, slug: Slug, other_slug: Slug):
    services.require_org_admin(request.auth)
    visible = Service.objects.visible_to(request.auth)
    service = get_object_or_404(visible, slug=slug)
    other = get_object_or_404(visible, slug=other_slug)
    if not service.depends_on.filter(pk=other.pk).exists():
        raise Http404
    services.remove_dependency(service, other)
    return Status(204, None)


# --- the caller's API tokens ------------------------------------------------------------

@router.get("/tokens", response={200: list[TokenOut], 401: Message}, tags=["tokens"], summary="My tokens")
def list_tokens(request):
    """The caller's own tokens, newest first, revoked ones included (with `revoked_at`)."""
    return ApiToken.objects.visible_to(request.auth)


@router.post("/tokens", response={201: TokenCreated, 400: Invalid, 401: Message}, tags=["tokens"],
             summary="Create a token")
def create_token(request, payload: TokenIn):
    """A new token for the caller. `key` is in this response only: it is stored hashed."""
    token, key = services.create_token(request.auth, payload.name)
    token.key = key
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None, 401: Message, 404: Message}, tags=["tokens"],
               summary="Revoke a token")
def revoke_token(request, token_id: int):
    """Revokes one of the caller's tokens at once. Someone else's token is a 404."""
    token = get_object_or_404(ApiToken.objects.visible_to(request.auth), pk=token_id)
    services.revoke_token(token)
    return Status(204, None)
