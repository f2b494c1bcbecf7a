"""Every endpoint of this feature is in the OpenAPI document."""

from __future__ import annotations


def test_application_directory_and_change_endpoints_are_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    expected = {
        "/api/v1/applications": {"get", "post"},
        "/api/v1/applications/{application_id}": {"get", "put"},
        "/api/v1/applications/{application_id}/submit": {"post"},
        "/api/v1/applications/{application_id}/recommend": {"post"},
        "/api/v1/applications/{application_id}/reviews": {"post"},
        "/api/v1/applications/{application_id}/site-visit": {"post"},
        "/api/v1/applications/{application_id}/notice": {"post"},
        "/api/v1/applications/{application_id}/recognize": {"post"},
        "/api/v1/applications/{application_id}/reject": {"post"},
        "/api/v1/directory": {"get"},
        "/api/v1/bases/{base_id}/changes": {"get", "post"},
        "/api/v1/base-changes": {"get"},
        "/api/v1/base-changes/{change_id}": {"get"},
        "/api/v1/base-changes/{change_id}/accept": {"post"},
        "/api/v1/base-changes/{change_id}/reject": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) >= methods, path
    assert "security" not in paths["/api/v1/directory"]["get"]
    assert "422" in paths["/api/v1/applications/{application_id}/submit"]["post"]["responses"]
