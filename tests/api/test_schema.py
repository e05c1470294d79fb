"""The v1 OpenAPI document: clean, v1 only, one error shape, documented filters; and GET /api/v1/version."""

import json

import pytest
from drf_spectacular.validation import validate_schema

from domains.api.openapi import v1_schema, v1_schema_problems
from domains.api.version import API_VERSION, CHANGELOG


@pytest.fixture(scope="module")
def schema():
    return v1_schema()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_it_generates_without_warnings_or_errors():
    assert v1_schema_problems() == []


def test_it_is_valid_openapi_3(schema):
    validate_schema(schema)


def test_it_covers_api_v1_only(schema):
    assert schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_failure_response_is_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["status", "code", "message"]
    assert set(error["properties"]) == {"status", "code", "message", "fields"}
    for name, operation in operations(schema):
        failures = {code: response for code, response in operation["responses"].items() if code[0] in "45"}
        if {} not in operation.get("security", []):  # public, input-free operations cannot fail
            assert {"401", "403"} <= set(failures), f"{name} does not document authentication failures"
        for code, response in failures.items():
            assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, \
                f"{name} {code}"


def test_the_domain_list_documents_its_filters_and_pagination(schema):
    operation = schema["paths"]["/api/v1/domains"]["get"]

    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} >= {"host", "state", "name", "limit",
                                                                                   "offset"}
    page = schema["components"]["schemas"]["PaginatedDomainList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert {"uuid", "name", "host", "state"} <= set(schema["components"]["schemas"]["Domain"]["required"])


# Lists that stay short by nature may answer a plain array; every other list pages.
UNPAGINATED_LISTS = {"/api/v1/roles"}


def test_every_list_is_paginated(schema):
    for path, methods in schema["paths"].items():
        body = methods.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        answer = body.get("application/json", {}).get("schema", {})
        if answer.get("type") == "array":
            assert path in UNPAGINATED_LISTS, f"GET {path} answers a bare array: page it (limit/offset)"


def test_the_schema_and_docs_are_served_to_anyone(client):
    schema = client.get("/api/v1/schema/?format=json")
    docs = client.get("/api/v1/docs/")
    docs_script = client.get("/api/v1/docs/?script=")  # a file of its own: the CSP allows no inline script

    assert schema.status_code == 200
    assert schema.json()["info"]["version"] == API_VERSION
    assert docs.status_code == 200 and docs_script.status_code == 200
    assert b'src="/api/v1/docs/?script="' in docs.content
    assert b"/api/v1/schema/" in docs_script.content
    assert b"cdn" not in docs.content.lower()  # Swagger UI comes from node_modules, like every front-end library


def test_it_serves_the_version_and_changelog(client, db):
    response = client.get("/api/v1/version")

    assert response.status_code == 200
    assert response.json() == {"api": "v1", "version": API_VERSION, "changelog": CHANGELOG}
    assert CHANGELOG[0]["version"] == API_VERSION, "the newest changelog entry names the current version"


def test_the_served_schema_is_the_one_the_contract_checks(client, schema):
    served = client.get("/api/v1/schema/?format=json").json()

    assert served == json.loads(json.dumps(schema, default=str))
