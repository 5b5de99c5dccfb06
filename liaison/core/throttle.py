"""Throttling of guesses: sign-in, API tokens, password-reset mail; and the API rate per token.

Guesses are counted by django-axes in the database (AccessAttempt, AccessFailureLog), so
every web process sees the same counts. A client is locked out after
`LIAISON_SIGNIN_FAILURE_LIMIT` failures (default 5) for one account *or* from one address,
whichever comes first. The lock lasts `LIAISON_SIGNIN_LOCK_MINUTES` (default 1) and
doubles with each failure recorded while locked and with each earlier lockout of that
account or address in the last day, up to a day: slow for a person who mistyped, hopeless
for a script. A successful sign-in clears the account's count. Every failure and lockout
is logged (logger "axes", and AccessFailureLog in the admin).

The three doors use the same counts under different names, so that one door's guesses
cannot lock another's users out:

- the sign-in form: the account's email (axes' own integration with Django's sign-in);
- API bearer tokens: `api-token@<address>` (a token names no account before it is found);
- the password-reset form: `password-reset:<email>` — each request counts, so a mailbox
  gets at most LIMIT reset mails per lock period.

A correct API token is not checked against the lock (tokens are 256-bit random: the lock
stops the flood, there is nothing to guess) so that the API's hot path reads nothing more.

The API is also rate-limited per token (`LIAISON_API_RATE`, default 1200/m), by ninja's
throttling in the process's cache: each web process counts on its own.
"""

import datetime as dt
import hashlib
import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from ninja.throttling import SimpleRateThrottle

log = logging.getLogger("liaison.throttle")

MAX_LOCK = dt.timedelta(days=1)


def cool_off(request):
    """How long the current lock lasts: the base doubled per locked-out failure of the last day."""
    base = dt.timedelta(minutes=settings.LIAISON_SIGNIN_LOCK_MINUTES)
    if request is None:
        return base
    since = timezone.now() - MAX_LOCK
    who = Q()
    username = get_client_username(request, getattr(request, "axes_credentials", None))
    if username:
        who |= Q(username=username)
    address = getattr(request, "axes_ip_address", None)
    if address:
        who |= Q(ip_address=address)
    if not who:
        return base
    locked = AccessFailureLog.objects.filter(who, locked_out=True, attempt_time__gte=since).count()
    return min(base * 2 ** min(locked, 20), MAX_LOCK)


def _minutes(delta):
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


def lockout_message(request):
    return (f"Too many failed attempts: this account or this address is locked for "
            f"{_minutes(cool_off(request))}. Try again later, or ask an org admin.")


def lockout_response(request, original_response=None, credentials=None):
    """axes' answer to a locked-out client: JSON under /api/, the sign-in page's message elsewhere."""
    message = lockout_message(request)
    log.warning("locked out: %s from %s on %s", get_client_username(request, credentials) or "-",
                getattr(request, "axes_ip_address", "-"), request.path)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(cool_off(request).total_seconds()))
    return response


def is_locked(request, username):
    return AxesProxyHandler.is_locked(request, {"username": username})


def record_failure(request, username, sender):
    """Count one failed guess under `username` (and the client's address); logs it."""
    log.info("failed attempt: %s from %s on %s", username, request.META.get("REMOTE_ADDR"), request.path)
    user_login_failed.send(sender=sender, credentials={"username": username}, request=request)
    return getattr(request, "axes_locked_out", False)


def api_token_name(request):
    AxesProxyHandler.update_request(request)
    return f"api-token@{request.axes_ip_address}"


def password_reset_name(email):
    return f"password-reset:{(email or '').strip().lower()}"


class TokenRateThrottle(SimpleRateThrottle):
    """At most LIAISON_API_RATE calls per token (per signed-in person for the docs' session)."""

    scope = "token"

    def __init__(self):
        super().__init__(settings.LIAISON_API_RATE)

    def allow_request(self, request):
        self.num_requests, self.duration = self.parse_rate(settings.LIAISON_API_RATE)  # read when called
        return super().allow_request(request)

    def get_cache_key(self, request):
        ident = getattr(request, "api_token_digest", None)
        if ident is None:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return None
            ident = hashlib.sha256(f"session:{user.pk}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def username_of(request, credentials):
    """The account a guess is for, lower-cased: "Ana@corp.example" and "ana@corp.example" count together."""
    value = (credentials or {}).get("username")
    if value is None and request is not None and request.method == "POST":
        value = request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else value


from axes.backends import AxesStandaloneBackend  # noqa: E402


class ThrottledBackend(AxesStandaloneBackend):
    """axes' check before the password is tried, for sign-ins that come with an HTTP request.

    One without a request (a management command, the test client's login()) has no remote
    guesser behind it; it goes on to the next backend unthrottled instead of failing.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
