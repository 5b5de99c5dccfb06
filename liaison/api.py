"""The REST API under /api/v1/: one NinjaAPI, one router per domain.

Authentication: `Authorization: Bearer <token>` (tokens from `liaison token create EMAIL`
or the Tokens page), or the browser session for the interactive docs.
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.openapi.docs import _csrf_needed
from ninja.security import HttpBearer, SessionAuth

from liaison.core import throttle
from liaison.org.models import ApiToken
from liaison.org.services import authenticate_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        person = authenticate_token(token)
        if person is not None:
            request.user = person
            request.api_token_digest = ApiToken.hash(token)  # the rate limit's key: per token
            return person
        # A wrong token is a guess: counted per client address, locked out like sign-in.
        name = throttle.api_token_name(request)
        if throttle.is_locked(request, name) or throttle.record_failure(request, name, BearerToken):
            raise HttpError(429, throttle.lockout_message(request))
        return None


class SignedInSession(SessionAuth):
    """The browser session (for the interactive docs), CSRF-checked only once it names a person.

    ninja's SessionAuth checks CSRF before it looks at the session, so a POST with a
    missing or revoked bearer token and no session used to get 403 "CSRF check Failed";
    it is a 401 (authentication required), and this makes it one.
    """

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class OwnSwagger(Swagger):
    """Swagger UI from django-ninja's own template and static files, never from a CDN.

    ninja renders its template only when `ninja` is an installed app and otherwise falls back
    to a page that loads Swagger UI from a public CDN (which a strict CSP and an offline
    network refuse). Liaison keeps `ninja` out of INSTALLED_APPS (it would load pydantic in
    every process, the MTA pipe's included) and finds the template and static files by path
    (settings: TEMPLATES DIRS, STATICFILES_DIRS), so it renders the template itself.
    """

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {"swagger_settings": json.dumps(self.settings, indent=1),
                                               "api": api, "add_csrf": _csrf_needed(api)})


api = NinjaAPI(
    title="Liaison API",
    version="1",
    description="Teams, people, services and the work between them. Authenticate with a bearer token.",
    auth=[BearerToken(), SignedInSession()],
    urls_namespace="api",
    docs=OwnSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[throttle.TokenRateThrottle()],
)


def _errors(exc):
    if hasattr(exc, "error_dict"):
        return [{"field": field, "message": " ".join(m for e in errs for m in e.messages)}
                for field, errs in exc.error_dict.items()]
    return [{"field": None, "message": message} for message in exc.messages]


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    errors = _errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "You may not do this."}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    response = api.create_response(
        request, {"detail": "Authentication required: send 'Authorization: Bearer <token>'."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="liaison"'
    return response


# One router per domain, mounted after the handlers above exist (they import this module).
from liaison.agenda.api import router as agenda_router  # noqa: E402
from liaison.incidents.api import router as incidents_router  # noqa: E402
from liaison.insights.api import router as insights_router  # noqa: E402
from liaison.network.api import router as network_router  # noqa: E402
from liaison.org.api import router as org_router  # noqa: E402
from liaison.requests.api import router as requests_router  # noqa: E402
from liaison.requests.attachments_api import router as attachments_router  # noqa: E402

for router in (org_router, requests_router, attachments_router, agenda_router, network_router, incidents_router,
               insights_router):
    api.add_router("/", router)
