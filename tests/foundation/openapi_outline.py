"""The outline of an OpenAPI document that must never shrink: operations, bodies, responses.

`python -m tests.foundation.openapi_outline > tests/foundation/openapi_v1_outline.json` wrote the
snapshot of the document as it stood before issue #10; test_openapi_superset.py checks that the
served document still holds every part of it.
"""

from __future__ import annotations

import json
from typing import Any


def _schema_outline(node: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A schema as its name (when referenced), property names and required names."""
    name = None
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"][name]
    return {
        "name": name,
        "properties": sorted(node.get("properties", {})),
        "required": sorted(node.get("required", [])),
        "type": node.get("type"),
    }


def outline(spec: dict[str, Any]) -> dict[str, Any]:
    """Every operation with its parameters, body, response codes and content types."""
    operations: dict[str, Any] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                body = {
                    kind: _schema_outline(media["schema"], spec) for kind, media in content.items()
                }
            operations[f"{method.upper()} {path}"] = {
                "parameters": sorted(f"{p['in']}:{p['name']}" for p in op.get("parameters", [])),
                "body": body,
                "responses": {
                    code: sorted(resp.get("content", {})) for code, resp in op["responses"].items()
                },
                "secured": "security" in op,
            }
    schemas = {
        name: _schema_outline(node, spec) for name, node in spec["components"]["schemas"].items()
    }
    return {"operations": operations, "schemas": schemas}


if __name__ == "__main__":  # pragma: no cover - writes the snapshot
    import tempfile

    from jxjd import create_app
    from jxjd.openapi import build_spec

    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/outline.sqlite3",
            "JXJD_KEY_DIR": f"{folder}/keys",
        }
    )
    with app.app_context():
        print(json.dumps(outline(build_spec(app)), ensure_ascii=False, indent=1, sort_keys=True))
