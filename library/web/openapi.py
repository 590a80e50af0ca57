"""The API's contract: each route declares its inputs and answer with `@operation`, the OpenAPI 3.1
document at /api/v1/openapi.json is built from those declarations, and /api/v1/docs reads it out.

`@operation(query=…, body=…)` is also where the request is parsed: the view receives `query` and
`body` as typed schema instances (library.validation), never the raw request."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask, current_app, jsonify, render_template, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from library.db import MAX_ID
from library.validation import Schema, parse
from library.web.api import api, request_object

Auth = Literal["none", "optional", "required"]


ERROR_STATUSES = {
    400: "输入有误 (invalid input)",
    401: "需要登录或令牌无效 (unauthenticated)",
    403: "没有权限 (forbidden)",
    404: "不存在或不可见 (not found)",
    409: "与当前状态冲突 (conflict)",
    413: "文件太大 (too large)",
    415: "文件类型不被接受 (unsupported upload)",
    429: "尝试次数过多 (too many attempts)",
    503: "暂时不可用 (unavailable)",
    507: "存储空间不足 (insufficient storage)",
}


@dataclass(frozen=True)
class Operation:
    """What one API route takes and answers."""

    summary: str
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    upload: type[Schema] | None = None  # multipart/form-data: these fields plus one or more `file`
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    auth: Auth = "required"
    errors: tuple[int, ...] = ()
    description: str = ""
    tags: tuple[str, ...] = ()


def operation(summary: str, **declared: Any) -> Callable:
    """Declare an API route's contract and parse its query string and body into typed values."""
    spec = Operation(summary, **declared)

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def parsed(**kwargs: Any):
            if spec.query is not None:
                kwargs["query"] = parse(spec.query, request.args)
            if spec.body is not None:
                kwargs["body"] = parse(spec.body, request_object())
            if spec.upload is not None:
                kwargs["body"] = parse(spec.upload, request.form)
            return view(**kwargs)

        parsed.openapi = spec  # type: ignore[attr-defined]
        return parsed

    return wrap


PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def _path(rule: str) -> tuple[str, list[dict]]:
    """A Werkzeug rule as an OpenAPI path and its path parameters."""
    parameters = []
    for match in PATH_ARGUMENT.finditer(rule):
        converter, args, name = match.group("converter") or "default", match.group("args"), match.group("name")
        schema: dict[str, Any]
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        elif converter == "any":
            schema = {"type": "string", "enum": [a.strip().strip("'\"") for a in (args or "").split(",")]}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^/]+$"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return PATH_ARGUMENT.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _query_parameters(schema: type[Schema], components: dict) -> list[dict]:
    json_schema = components[schema.__name__]
    required = set(json_schema.get("required", []))
    out = []
    for name, prop in json_schema.get("properties", {}).items():
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if name in schema.list_fields():
            parameter.update(style="form", explode=True)
        if prop.get("description"):
            parameter["description"] = prop["description"]
        out.append(parameter)
    return out


def _responses(spec: Operation) -> dict:
    ok: dict[str, Any] = {"description": spec.summary}
    if spec.status != 204:
        if spec.response is not None:
            ok["content"] = {spec.media_type: {"schema": {"$ref": f"#/components/schemas/{spec.response.__name__}"}}}
        elif spec.media_type != "application/json":
            ok["content"] = {spec.media_type: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    statuses = set(spec.errors)
    if spec.query or spec.body or spec.upload:
        statuses.add(400)
    if spec.auth == "required":
        statuses.update((401, 403))
    if spec.auth == "optional":
        statuses.add(401)  # a bad token is refused even where none is needed
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": ERROR_STATUSES.get(status, ""),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None
    details: list[Any] | None = None


class Error(BaseModel):
    """Every error: a stable `code`, a message in the user's language and, for bad input, one
    message per field."""

    error: ErrorDetail


def _operations(app: Flask) -> list[tuple[str, str, Operation, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        spec = getattr(view, "openapi", None)
        if spec is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), spec, rule.endpoint))
    return found


def document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every declared /api/v1 route."""
    operations = _operations(app)
    models: list[type[BaseModel]] = [Error]
    for _rule, _method, spec, _endpoint in operations:
        for model, mode in ((spec.query, "validation"), (spec.body, "validation"), (spec.upload, "validation"),
                            (spec.response, "serialization")):
            if model is not None and model not in models:
                models.append(model)
    _keys, defs = models_json_schema([(m, "serialization" if m is Error else "validation") for m in models],
                                     ref_template="#/components/schemas/{model}")
    components: dict = defs.get("$defs", {})
    paths: dict[str, dict] = {}
    for rule, method, spec, endpoint in operations:
        path, parameters = _path(rule)
        if spec.query is not None:
            parameters += _query_parameters(spec.query, components)
        entry: dict[str, Any] = {
            "operationId": endpoint.removeprefix("api.") + ("" if method in ("get",) else f"_{method}"),
            "summary": spec.summary,
            "tags": list(spec.tags) or [endpoint.split(".")[-1]],
            "parameters": parameters,
            "responses": _responses(spec),
        }
        if spec.description:
            entry["description"] = spec.description
        if spec.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{spec.body.__name__}"}}}}
        if spec.upload is not None:
            upload = dict(components[spec.upload.__name__])
            upload["properties"] = {**upload.get("properties", {}), "file": {
                "type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1}}
            upload["required"] = [*upload.get("required", []), "file"]
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
        if spec.auth == "required":
            entry["security"] = [{"bearer": []}]
        elif spec.auth == "optional":
            entry["security"] = [{}, {"bearer": []}]
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Studio Library API（名师工作室资源库）",
            "version": "1",
            "description": (
                "县域名师工作室成果库的 JSON 接口。用 Authorization: Bearer 令牌调用（在“我的账户”中创建）；"
                "错误统一为 {\"error\": {\"code\", \"message\", \"fields\"}}，状态码 4xx。"
                " The JSON API of the county's studio library; errors are {\"error\": {\"code\", \"message\","
                " \"fields\"}} with a 4xx status."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "个人 API 令牌 (a personal API token)"}},
        },
    }


def cached_document() -> dict:
    """The document for the running app, built once (routes do not change while it runs)."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = document(current_app)
    return current_app.extensions["openapi"]


@api.get("/openapi.json")
def openapi_json():
    return jsonify(cached_document())


def _type_of(schema: dict, components: dict) -> str:
    """A field's type in a few words: "string ≤ 300", "integer 1–2147483647", "array of string"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type_of(s, components) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if "const" in schema:
        return str(schema["const"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}), components)}"
    if "maxLength" in schema:
        kind += f" ≤ {schema['maxLength']}"
    if "minimum" in schema or "maximum" in schema:
        kind += f" {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    if "format" in schema:
        kind += f" ({schema['format']})"
    return kind


def _fields(schema: dict, components: dict) -> list[dict]:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    return [{"name": name, "type": _type_of(prop, components), "required": name in required,
             "title": prop.get("title", ""), "description": prop.get("description", "")}
            for name, prop in schema.get("properties", {}).items()]


def readable(doc: dict) -> list[dict]:
    """The document as the docs page shows it: per tag, each operation's inputs and answers."""
    components = doc["components"]["schemas"]
    groups: dict[str, list[dict]] = {}
    for path, methods in doc["paths"].items():
        for method, entry in methods.items():
            body = next(iter(entry.get("requestBody", {}).get("content", {}).items()), None)
            ok = next(iter(entry["responses"].items()))
            ok_content = next(iter(ok[1].get("content", {}).items()), None)
            groups.setdefault(entry["tags"][0], []).append({
                "id": entry["operationId"], "method": method.upper(), "path": path, "summary": entry["summary"],
                "description": entry.get("description", ""),
                "auth": "optional" if entry.get("security") == [{}, {"bearer": []}] else
                        ("required" if entry.get("security") else "none"),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p["required"],
                                "type": _type_of(p["schema"], components), "title": p["schema"].get("title", ""),
                                "description": p.get("description", "")} for p in entry["parameters"]],
                "body_type": body[0] if body else None,
                "body": _fields(body[1]["schema"], components) if body else [],
                "status": ok[0], "answer_type": ok_content[0] if ok_content else None,
                "answer": _fields(ok_content[1]["schema"], components) if ok_content else [],
                "errors": [code for code in entry["responses"] if code != ok[0]],
            })
    return [{"tag": tag, "operations": ops} for tag, ops in sorted(groups.items())]


@api.get("/docs")
def api_docs():
    """The document read out as a page: operations by tag, their parameters, bodies and answers."""
    doc = cached_document()
    return render_template("api_docs.html", doc=doc, groups=readable(doc))
