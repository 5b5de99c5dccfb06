"""Operations on the directory. Views, the API, the CLI and the importer all call these.

Each operation validates fully before it writes, raising django ValidationError with a
field name and a reason, so every door can show the same clear message and the data
stays unchanged.
"""

import copy
import secrets
from collections import defaultdict, deque

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import slugify

from .cache import ProcessCache, is_bookkeeping
from .models import ApiToken, Membership, Person, SensitiveAttributes, Service, ServiceDependency, Team

TOKEN_PREFIX = "lsn_"


def unique_slug(model, text, exclude_pk=None):
    base = slugify(text)[:180] or "item"
    slug, n = base, 2
    qs = model.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    while qs.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _save(obj, exclude=None):
    obj.full_clean(exclude=exclude)
    obj.save()
    return obj


# --- who may change the directory --------------------------------------------------

def require_org_admin(person):
    """Only org admins change the directory (teams, people, services, dependencies).

    Everyone signed in reads it. Raises PermissionDenied for anyone else.
    """
    if person is None or not getattr(person, "is_org_admin", False):
        raise PermissionDenied("Only org admins may change the directory.")


# --- teams and people --------------------------------------------------------------

@transaction.atomic
def create_team(*, name, parent=None, lead=None, description="", site=""):
    team = Team(name=name.strip(), parent=parent, lead=lead, description=description, site=site)
    team.slug = unique_slug(Team, name)
    _save(team)
    if lead is not None:
        add_member(team, lead)
    return team


@transaction.atomic
def update_team(team, **fields):
    for key, value in fields.items():
        setattr(team, key, value)
    _save(team)
    if team.lead_id:
        add_member(team, team.lead)
    return team


def add_member(team, person):
    Membership.objects.get_or_create(team=team, person=person)


def create_person(*, email, name, password=None, **fields):
    person = Person(email=(email or "").strip().lower(), name=(name or "").strip(), **fields)
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    return _save(person)


@transaction.atomic
def update_person(person, **fields):
    """Change a person's profile fields; the email stays unique and lower-case."""
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    for key, value in fields.items():
        setattr(person, key, value)
    return _save(person)


# --- services and their dependency graph -----------------------------------------

@transaction.atomic
def create_service(*, team, name, depends_on=(), **fields):
    service = Service(team=team, name=name.strip(), **fields)
    if not service.slug:
        service.slug = unique_slug(Service, name)
    _check_service_name(service)
    _save(service)
    for other in depends_on:
        add_dependency(service, other)
    return service


@transaction.atomic
def update_service(service, **fields):
    """Change a service's published terms. Its slug (the intake address) does not change here."""
    if "slug" in fields:
        raise ValidationError({"slug": "A service's slug is its intake address and cannot be changed."})
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    for key, value in fields.items():
        setattr(service, key, value)
    _check_service_name(service)
    return _save(service)


def _check_service_name(service):
    """A team names each of its services once (the model's constraint, reported on the field)."""
    taken = Service.objects.filter(team_id=service.team_id, name=service.name).exclude(pk=service.pk)
    if service.team_id and taken.exists():
        raise ValidationError({"name": f"{service.team} already has a service named {service.name!r}."})


def dependency_edges():
    """{service_id: set(ids it depends on)} for the whole catalogue, in one query."""
    graph = defaultdict(set)
    for service_id, depends_on_id in ServiceDependency.objects.values_list("service_id", "depends_on_id"):
        graph[service_id].add(depends_on_id)
    return graph


def dependency_path(graph, start_id, goal_id):
    """The shortest chain of ids start → … → goal along dependencies, or None."""
    previous = {start_id: None}
    queue = deque([start_id])
    while queue:
        node = queue.popleft()
        if node == goal_id:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for nxt in graph.get(node, ()):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def transitive_dependencies(service_id, graph=None):
    """Ids of every service `service_id` depends on, directly or through others."""
    graph = graph if graph is not None else dependency_edges()
    seen, queue = set(), deque(graph.get(service_id, ()))
    while queue:
        node = queue.popleft()
        if node not in seen:
            seen.add(node)
            queue.extend(graph.get(node, ()))
    seen.discard(service_id)
    return seen


@transaction.atomic
def add_dependency(service, depends_on):
    """Record that `service` depends on `depends_on`; refuse anything that makes a cycle."""
    if service.pk == depends_on.pk:
        raise ValidationError({"depends_on": f"{service} cannot depend on itself."})
    graph = dependency_edges()
    back = dependency_path(graph, depends_on.pk, service.pk)
    if back:
        names = dict(Service.objects.filter(pk__in=back).values_list("pk", "name"))
        chain = " → ".join(names[pk] for pk in back)
        raise ValidationError({"depends_on": (
            f"{service} cannot depend on {depends_on}: {chain} already, so this would make a cycle.")})
    link, _ = ServiceDependency.objects.get_or_create(service=service, depends_on=depends_on)
    return link


def remove_dependency(service, depends_on):
    ServiceDependency.objects.filter(service=service, depends_on=depends_on).delete()


# --- sensitive attributes: auditors only -------------------------------------------

def sensitive_attributes(viewer, person):
    """A person's sensitive attributes, for an auditor; PermissionDenied for anyone else."""
    if not viewer.is_auditor:
        raise PermissionDenied("Only auditors may read sensitive attributes.")
    return SensitiveAttributes.objects.filter(person=person).first()


# --- API tokens --------------------------------------------------------------------

def create_token(person, name="API token"):
    """Create a token for `person`; returns (ApiToken, key). The key is shown only once."""
    if not person.is_active:
        raise ValidationError({"person": f"{person.email} is deactivated and cannot hold a token."})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(person=person, name=name[:100] or "API token",
                                    prefix=key[:len(TOKEN_PREFIX) + 6], key_hash=ApiToken.hash(key))
    return token, key


#: Token hash -> [token id, person, last_used_at]. A revoked token, or one whose person
#: was deactivated, is refused at once in the process that saved the change and within
#: about a second in every other process (the directory version, liaison.org.cache).
_recent_tokens = ProcessCache(getattr(settings, "LIAISON_TOKEN_CACHE_SECONDS", 60))


@receiver(post_save, sender=ApiToken, dispatch_uid="org.token_cache.token_saved")
@receiver(post_delete, sender=ApiToken, dispatch_uid="org.token_cache.token_deleted")
def _forget_token(sender, instance, **kwargs):
    _recent_tokens.forget(instance.key_hash)


@receiver(post_save, sender=Person, dispatch_uid="org.token_cache.person_saved")
@receiver(post_delete, sender=Person, dispatch_uid="org.token_cache.person_deleted")
def _forget_person_tokens(sender, instance, update_fields=None, **kwargs):
    if not is_bookkeeping(sender, update_fields):  # a sign-in saves last_login only
        _recent_tokens.clear()  # rare (a person changed); simpler than an index by person


def _active_token(digest):
    token = ApiToken.objects.active().select_related("person").filter(key_hash=digest).first()
    return None if token is None else [token.pk, token.person, token.last_used_at]


def authenticate_token(key, now=None):
    """The active person behind `key`, or None. Marks the token used (at most once a minute).

    Per process, a token found active is remembered until the directory changes (see
    _recent_tokens); each call gets its own copy of the person, so what one HTTP request
    caches on its user object never leaks into another.
    """
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    digest = ApiToken.hash(key)
    hit = _recent_tokens.load(digest, lambda: _active_token(digest))
    if hit is None:
        return None
    now = now or timezone.now()
    last_used_at = hit[2]
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=hit[0]).update(last_used_at=now)
        hit[2] = now
    return copy.copy(hit[1])


def revoke_token(token, now=None):
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
