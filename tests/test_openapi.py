"""The OpenAPI document at /api/v1/openapi.json and the interactive docs at /api/v1/docs."""

import pytest

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


def test_docs_render_for_a_signed_in_session(login, member):
    response = login(member).get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger" in page.lower() and "/api/v1/openapi.json" in page
