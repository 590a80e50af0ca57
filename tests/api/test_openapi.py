"""The API's contract: /api/v1/openapi.json is a valid OpenAPI 3.1 document that declares every
/api/v1 route, and /api/v1/docs reads it out for people."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from library.web.openapi import _path


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]


def test_every_api_route_is_in_the_document(app, client):
    """A route added without `@operation` would be invisible to clients and to the fuzzer."""
    doc = client.get("/api/v1/openapi.json").get_json()
    declared = {(path, method) for path, methods in doc["paths"].items() for method in methods}
    routes = {
        (_path(rule.rule)[0], method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi_json", "api.api_docs")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes - declared == set()
    assert len(declared) == len(routes)


def test_errors_are_declared_with_the_error_shape(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, methods in doc["paths"].items():
        for method, entry in methods.items():
            for status, answer in entry["responses"].items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_the_docs_page_lists_every_operation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path, methods in doc["paths"].items():
        for method in methods:
            assert re.search(rf">{method.upper()}</code> <code>{re.escape(path)}</code>", html), (method, path)
    assert "openapi.json" in html and "Authorization: Bearer" in html
