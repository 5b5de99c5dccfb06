"""`liaison token create EMAIL [--name NAME]`, `liaison token list EMAIL`, `liaison token revoke PREFIX_OR_ID`.

`create` prints the token, and only the token, on stdout, so a script can capture it:

    TOKEN=$(liaison token create ops@corp.example --name deploy-bot)

Everything meant for a person (what was created, warnings) goes to stderr.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liaison.org import services
from liaison.org.models import ApiToken, Person


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a token for a person; prints only the token.")
        create.add_argument("email")
        create.add_argument("--name", default="API token", help="What the token is for (default: API token).")
        listing = actions.add_parser("list", help="List a person's tokens (never the tokens themselves).")
        listing.add_argument("email")
        revoke = actions.add_parser("revoke", help="Revoke a token by id, by prefix (e.g. lsn_AbC123) or whole.")
        revoke.add_argument("token", metavar="PREFIX_OR_ID")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _person(self, email):
        person = Person.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"No person with email {email!r}.")
        return person

    def _create(self, email, name, **options):
        person = self._person(email)
        try:
            token, key = services.create_token(person, name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"Created token {token.prefix}… ({token.name!r}, id {token.pk}) for {person.email}. "
                          "It is shown once: store it now.")
        self.stdout.write(key)

    def _list(self, email, **options):
        person = self._person(email)
        if not person.is_active:
            self.stderr.write(f"{person.email} is deactivated: none of these tokens works.")
        tokens = ApiToken.objects.filter(person=person)
        if not tokens:
            self.stderr.write(f"{person.email} has no tokens.")
            return
        self.stdout.write(f"{'id':>6}  {'prefix':<12} {'created':<16} {'last used':<16} {'status':<8} name")
        for token in tokens:
            status = "revoked" if token.revoked_at else "active"
            self.stdout.write(f"{token.pk:>6}  {token.prefix:<12} {_when(token.created_at):<16} "
                              f"{_when(token.last_used_at):<16} {status:<8} {token.name}")

    def _revoke(self, token, **options):
        found = _find(token.strip())
        if found.revoked_at is not None:
            self.stderr.write(f"Token {found.prefix}… of {found.person.email} was already revoked.")
            return
        services.revoke_token(found)
        self.stderr.write(f"Revoked token {found.prefix}… ({found.name!r}) of {found.person.email}.")


def _find(text):
    """One token by id, by its whole key, or by a prefix unambiguous among active tokens."""
    tokens = ApiToken.objects.select_related("person")
    if text.isdigit():
        found = tokens.filter(pk=int(text)).first()
        if found is None:
            raise CommandError(f"No token with id {text}.")
        return found
    if text.startswith(services.TOKEN_PREFIX) and len(text) > 20:
        found = tokens.filter(key_hash=ApiToken.hash(text)).first()
        if found is None:
            raise CommandError("No token matches that key.")
        return found
    if len(text) < len(services.TOKEN_PREFIX) + 2:
        raise CommandError(f"{text!r} is too short to name a token: give its id or its prefix (e.g. lsn_AbC123).")
    matches = list(tokens.filter(prefix__startswith=text))
    active = [t for t in matches if t.revoked_at is None]
    candidates = active or matches
    if not candidates:
        raise CommandError(f"No token with prefix {text!r}.")
    if len(candidates) > 1:
        ids = ", ".join(f"{t.pk} ({t.person.email})" for t in candidates)
        raise CommandError(f"Prefix {text!r} matches several tokens: {ids}. Revoke by id instead.")
    return candidates[0]


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"
