"""The OpenAPI document at /api/v1/openapi.json and the interactive docs at /api/v1/docs."""

import typing
from collections import defaultdict

import pydantic
import pytest

from liaison.api import api as ninja_api

DIRECTORY_PATHS = {
    "/api/v1/teams": {"get", "post"},
    "/api/v1/teams/{slug}": {"get", "patch"},
    "/api/v1/people": {"get", "post"},
    "/api/v1/people/{person_id}": {"get", "patch"},
    "/api/v1/me": {"get"},
    "/api/v1/services": {"get", "post"},
    "/api/v1/services/{slug}": {"get", "patch"},
    "/api/v1/services/{slug}/dependencies": {"post"},
    "/api/v1/services/{slug}/dependencies/{other_slug}": {"delete"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
}


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_openapi_lists_the_directory(schema):
    assert schema["info"]["title"] == "Liaison API"
    for path, methods in DIRECTORY_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_requires_a_bearer_token_or_a_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"BearerToken": []} in operation["security"], f"{method} {path}"


def test_lists_are_paginated_by_page_number(schema):
    for path in ("/api/v1/teams", "/api/v1/people", "/api/v1/services"):
        params = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size", "q"} <= params, path
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        paged = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[-1]]
        assert set(paged["properties"]) == {"items", "count"}


def test_no_schema_exposes_sensitive_or_secret_fields(schema):
    for name, component in schema["components"]["schemas"].items():
        fields = set(component.get("properties", {}))
        assert not fields & {"gender", "seniority_band", "password", "key_hash", "is_superuser"}, name
        if name != "TokenCreated":
            assert "key" not in fields, name


def _models_of(annotation, seen):
    """Every pydantic model an annotation reaches (list[X], X | None, nested fields...)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_of(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_of(arg, seen)


# ninja's own wrappers around an operation's parameters and responses, never named in the document.
_WRAPPERS = {"NinjaResponseSchema", "QueryParams", "BodyParams", "PathParams", "FormParams", "FileParams",
             "HeaderParams", "CookieParams"}


def test_every_schema_name_is_given_to_one_shape_only():
    """Two classes with one name make one entry in the document: an operation is then documented
    with the other's shape (once, agenda's EventOut stood for the request timeline's EventOut)."""
    models = set()
    for _, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *operation.response_models.values()]:
                    _models_of(model, models)
    by_name = defaultdict(set)
    for model in models:
        if model.__name__ not in _WRAPPERS:
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    assert len(by_name) > 50
    assert {name: places for name, places in by_name.items() if len(places) > 1} == {}


def test_docs_render_for_a_signed_in_session(login, member):
    response = login(member).get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger" in page.lower() and "/api/v1/openapi.json" in page


def test_an_api_address_no_route_matches_is_a_json_404(client, member):
    client.force_login(member)
    for url in ("/api/v1/requests/not-a-number", "/api/v1/nothing-here"):
        response = client.get(url)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}, url
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]


def test_the_department_dashboard_of_someone_in_no_team_is_empty_not_a_500(client, outsider):
    """Found by the fuzzing as an outsider (tests/test_fuzz_api.py): `?team=` with no team of one's own."""
    from liaison.org.services import create_token

    _, key = create_token(outsider)
    response = client.get("/api/v1/insights/dashboard?team=", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code < 500, response.content
