"""The OpenAPI document, built with apispec from the marshmallow schemas the views use."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from marshmallow import Schema

from jxjd import access
from jxjd.auth import current_actor
from jxjd.common.guards import MAX_PATH_SEGMENT
from jxjd.common.paging import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from jxjd.common.params import MAX_YEAR, MIN_YEAR
from jxjd.common.schema import json_body, load
from jxjd.common.text import MAX_ID
from jxjd.web import page

bp = Blueprint("openapi", __name__)

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_YEAR = {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}
# Query parameters whose values are checked (422 invalid_parameter / invalid_mode otherwise).
_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "year": _YEAR,
    "from": _YEAR,
    "to": _YEAR,
    "mode": {"type": "string", "enum": ["strict", "partial"]},
    "level": {"type": "string", "enum": ["senior", "intermediate", "junior"]},
    "format": {"type": "string", "enum": ["json", "xlsx"]},
    "part": {"type": "integer", "minimum": 1},
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
}
# Paginated lists (jxjd.common.paging, CONTRACT §11).
_PAGE_PARAMS = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": _QUERY_SCHEMAS["page"],
        "description": "页码（默认 1）",
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "schema": _QUERY_SCHEMAS["per_page"],
        "description": f"每页条数（默认 {DEFAULT_PER_PAGE}，最多 {MAX_PER_PAGE}）",
    },
]
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "列表总条数", "schema": {"type": "integer"}},
    "Link": {"description": '下一页（RFC 8288，rel="next"）', "schema": {"type": "string"}},
}
# What the URL converters accept (jxjd.common.guards): anything else is 404 before any view.
_PATH_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    "string": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_SEGMENT},
}


class Body(Mapping[str, Any]):
    """The request body, loaded and validated by its schema when the view first reads it.

    A view looks up its path's object first (404, 403) and reads the body after, as a handler
    that loaded the body itself would: so a bad body sent to an unknown or forbidden object
    still answers 404 or 403, and a good one is validated exactly once.
    """

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._data: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = load(self._schema, json_body())
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def doc(
    summary: str,
    *,
    action: str,
    body: type[Schema] | Schema | None = None,
    response: type[Schema] | Schema | None = None,
    status: int = 200,
    tags: list[str] | None = None,
    query: dict[str, str] | None = None,
    public: bool = False,
    identify: bool = False,
    listed_as: str | None = None,
    content: str | None = None,
    errors: tuple[int, ...] = (),
    ahead: Callable[..., None] | None = None,
) -> Callable:
    """Declare an API operation once: who may call it, what it takes, what it answers.

    The caller is authenticated (401) and the policy decides on its role for `action` (403),
    unless the operation is `public` (then `identify` still reads an optional bearer token).
    A `body` schema loads and validates the body (400/413/422) as the view's `args` (a Body,
    read after the view's own look-ups). A view
    returning a model has it dumped with `response`; a list, with a `response` listing many, goes
    out as {listed_as: [...]}; a dict goes out as it is; all with `status`. Everything here also
    goes into the OpenAPI document. `ahead(**path_args)` announces the view's own look-up
    (db.read_ahead) so that it goes to the database with the caller's token look-up.
    """
    body_schema = body() if isinstance(body, type) else body
    out_schema = response() if isinstance(response, type) else response
    dump = out_schema is not None and not out_schema.many and content is None
    if listed_as is not None and (out_schema is None or not out_schema.many):
        raise ValueError("listed_as needs a response schema listing many")
    roles = access.roles_for(action)
    if public and access.PUBLIC not in roles:
        raise ValueError(f"public operation with non-public action {action}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def operation(*args: Any, **kwargs: Any) -> Any:
            if ahead is not None:
                ahead(*args, **kwargs)
            if not public or identify:
                access.authorize(current_actor(optional=public), action)
            if body_schema is not None:
                kwargs["args"] = Body(body_schema)
            result = view(*args, **kwargs)
            if isinstance(result, Response | tuple):
                return result
            if out_schema is not None and dump and not isinstance(result, dict):
                result = out_schema.dump(result)
            elif out_schema is not None and listed_as is not None and isinstance(result, list):
                result = {listed_as: out_schema.dump(result)}
            return result, status

        marks: dict[str, Any] = vars(operation)
        marks["action"] = action
        if not public:
            marks["required_roles"] = roles - {access.PUBLIC}
        marks["openapi"] = {
            "summary": summary,
            "body": body,
            "response": response,
            "status": status,
            "tags": tags,
            "query": query or {},
            "public": public,
            "content": content,
            "errors": errors,
        }
        return operation

    return decorator


def _schema_ref(schema: type[Schema] | Schema, plugin: MarshmallowPlugin) -> Any:
    if isinstance(schema, Schema) and schema.many:
        # Lists come wrapped in an object: {"bases": [...]}, {"base_id": 1, "changes": [...]}, ...
        assert plugin.converter is not None  # set once the plugin is registered with the spec
        item = plugin.converter.resolve_nested_schema(type(schema))
        listed = {"type": "array", "items": item}
        return {
            "type": "object",
            "additionalProperties": {"anyOf": [listed, {"not": {"type": "array"}}]},
        }
    return schema


PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                    "row": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _parameters(rule: Any, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The path parameters (as the URL converters accept them) and the documented query ones."""
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS["int" if conv == "int" else "string"],
        }
        for conv, name in _PARAM.findall(rule.rule)
    ]
    return params + [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": _QUERY_SCHEMAS.get(name, {"type": "string"}),
            "description": text,
        }
        for name, text in meta["query"].items()
    ]


def _responses(meta: dict[str, Any], params: list[dict], has_body: bool, plugin: Any) -> dict:
    """The success response and every problem the operation may answer."""
    ok: dict[str, Any] = {"description": "成功"}
    if meta["content"]:
        ok["content"] = {meta["content"]: {"schema": {"type": "string", "format": "binary"}}}
    elif meta["response"] is not None:
        ok["content"] = {"application/json": {"schema": _schema_ref(meta["response"], plugin)}}
    responses: dict[str, Any] = {str(meta["status"]): ok}
    default_errors = {401, 403} if not meta["public"] else set()
    # What the request guard and the schemas answer before any view logic (CONTRACT §11):
    # 404 for a path value that cannot exist, 422 for a bad query value, and for a body
    # 400 (not a JSON object), 413 (too large) and 422 (validation).
    if any(p["in"] == "path" for p in params):
        default_errors.add(404)
    if meta["query"] or any(p["in"] == "query" or p["name"] == "year" for p in params):
        default_errors.add(422)
    if has_body:
        default_errors |= {400, 413, 422}
    for code in sorted(default_errors | set(meta["errors"])):
        responses[str(code)] = {"description": "错误", "content": PROBLEM_CONTENT}
    return responses


def _operation(rule: Any, view: Any, method: str, params: list[dict], plugin: Any) -> dict:
    """One operation of the document."""
    meta = view.openapi
    op: dict[str, Any] = {"summary": meta["summary"], "parameters": params}
    op["tags"] = meta["tags"] or [rule.endpoint.split(".")[0]]
    roles = getattr(view, "required_roles", None)
    if roles:
        op["description"] = "角色：" + "、".join(sorted(roles))
    if not meta["public"]:
        op["security"] = [{"bearer": []}]
    if meta["body"] is not None and method in ("POST", "PUT", "PATCH"):
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(meta["body"], plugin)}},
        }
    op["responses"] = _responses(meta, params, "requestBody" in op, plugin)
    if getattr(view, "paged", False):
        op["responses"][str(meta["status"])]["headers"] = _PAGE_HEADERS
    return op


def build_spec(app: Flask) -> dict[str, Any]:
    """Walk the URL map and describe every documented /api/v1 route."""
    spec = APISpec(
        title="jxjd 湖南省省级专业技术人员继续教育基地管理服务",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[plugin := MarshmallowPlugin()],
        info={
            "description": "继续教育基地、年度计划、培训班次、学员名单、电子证书与学时档案的接口。"
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", PROBLEM)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "openapi", None)
        if operation is None:
            continue
        params = _parameters(rule, operation)
        if getattr(view, "paged", False):  # jxjd.common.paging: page, per_page and two headers
            params = params + _PAGE_PARAMS
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = _operation(rule, view, method, params, plugin)
            paths.setdefault(_PARAM.sub(r"{\2}", rule.rule), {})[method.lower()] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    # Decimal bounds (hours) must be JSON numbers, not the strings Flask would make of them.
    return json.loads(json.dumps(spec.to_dict(), default=float))


@bp.get("/api/v1/openapi.json")
@page("meta.read")
def openapi_json():
    """The OpenAPI 3.1 document of this API."""
    cached = current_app.extensions.get("jxjd_openapi")
    if cached is None:
        cached = current_app.extensions["jxjd_openapi"] = build_spec(current_app)
    return jsonify(cached)


@bp.get("/api/docs")
@page("meta.read")
def api_docs():
    """A readable page listing every endpoint of the OpenAPI document."""
    spec = current_app.extensions.get("jxjd_openapi") or build_spec(current_app)
    return render_template("api_docs.html", spec=spec)
