"""Every URL in the project, tried as a stranger: nothing is served without signing in.

New pages and endpoints are covered the day they are added; a page that is meant to be
public must be named in PUBLIC below, with the reason.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "healthz": "load balancers poll it",
    "login": "the way in",
    "password_reset": "the way in for people without a password",
    "password_reset_done": "the way in",
    "password_reset_confirm": "the way in (checks its own signed token)",
    "password_reset_complete": "the way in",
    "logout": "signing out needs no session",
}
# Feeds behind an unguessable token answer 404 to a wrong token, never data.
TOKEN_URL = re.compile(r"\.ics$")


def walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, namespace


# Fixed values: every xdist worker must collect the same test ids.
SAMPLE = {"int": "1", "slug": "nothing-here", "str": "nothing-here",
          "uuid": "00000000-0000-4000-8000-000000000000", "path": "x"}


def concrete(route):
    """Turn a route into a URL with sample values for its converters (or None for regex routes)."""
    if route.startswith("^") or "(?P" in route:
        return None
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
    return "/" + url


ALL_ROUTES = sorted({(concrete(route), name, ns) for route, name, ns in walk(get_resolver().url_patterns)
                     if concrete(route) is not None and ns != "admin" and not route.startswith("static")},
                    key=lambda r: r[0])
ROUTES = [r for r in ALL_ROUTES if r[1] not in PUBLIC and r[0] != "/api/v1/"]
PUBLIC_ROUTES = [r for r in ALL_ROUTES if r[1] in PUBLIC]


def test_the_walk_finds_the_project_urls():
    names = {name for _, name, _ in ROUTES}
    assert {"home", "team", "person", "service_list"} <= names
    assert any(url.startswith("/api/v1/") for url, _, _ in ROUTES)
    assert {name for _, name, _ in PUBLIC_ROUTES} == set(PUBLIC)


@pytest.mark.parametrize(("url", "name", "namespace"), PUBLIC_ROUTES, ids=[r[0] for r in PUBLIC_ROUTES])
def test_public_pages_answer_strangers_without_data(client, db, url, name, namespace):
    response = client.get(url)
    # logout is POST-only (405 to a GET); a reset link with a wrong token shows "invalid link".
    assert response.status_code in (200, 405), f"{url} answered {response.status_code}"


@pytest.mark.parametrize(("url", "name", "namespace"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_stranger_gets_nothing(client, db, url, name, namespace):
    response = client.get(url)
    if url.startswith("/api/v1/"):
        if url.rstrip("/").endswith(("openapi.json", "docs")):
            return  # the API's description is public; every operation in it is not
        assert response.status_code in (401, 405), f"{url} answered {response.status_code}"
    elif TOKEN_URL.search(url):
        assert response.status_code == 404, f"{url} answered {response.status_code}"
    else:
        assert response.status_code in (302, 405), f"{url} answered {response.status_code}"
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
