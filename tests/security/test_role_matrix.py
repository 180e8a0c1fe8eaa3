"""The role matrix (app/security/roles.py) drives every view and API endpoint.

Generated from the registered views: every endpoint is requested as anonymous and as each role,
and the response must be allowed or denied exactly as the matrix says. A view or API whose
permission resource has no matrix entry fails the first test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.security.api import SecurityApi

from app.extensions import appbuilder
from app.security.roles import ADMIN, MATRIX, ROLES, role_permissions
from tests.conftest import jwt_headers, login

ANONYMOUS = "Anonymous"
UNKNOWN_ACTION = "(unknown action)"
MISSING_ID = "987654321"
PARAM_VALUES = {
    "pk": MISSING_ID,
    "entity_id": MISSING_ID,
    "entity_type": "lookup",
    "table": "lookup",
    "locale": "en",
    "version": "v1",
    "filename": "missing.txt",
}
# Auth endpoints change the session itself; they are covered by the security tests. The "Resend"
# button of the e-mail banner sends visitors to sign in (tests/security/test_accounts_verification.py).
SKIPPED_ENDPOINTS = {"AuthDBView.logout", "AccountLinksView.resend_verification"}


def _views() -> list[Any]:
    return [v for v in appbuilder.baseviews if v.blueprint is not None]


def _permission_of(view: Any, method_name: str, action: str | None = None) -> str | None:
    """The permission a route needs, or None for public routes (login, language switch)."""
    if method_name in ("action", "action_post"):
        if action not in (getattr(view, "actions", None) or {}):
            return UNKNOWN_ACTION
        name = view.get_action_permission_name(action)
        return name if name.startswith(PERMISSION_PREFIX) else PERMISSION_PREFIX + name
    method = getattr(view, method_name)
    raw = getattr(method, "_permission_name", None)
    if raw is None:
        return None
    name = (view.method_permission_name or {}).get(method_name) or raw
    return name if name.startswith(PERMISSION_PREFIX) else PERMISSION_PREFIX + name


def _expected(view: Any, permission: str | None, role: str) -> bool:
    if permission is None:
        return True
    if permission == UNKNOWN_ACTION or role == ANONYMOUS:
        return False
    if role == ADMIN:
        return permission in view.base_permissions
    return permission in MATRIX[view.class_permission_name].get(role, ())


def _routes(app: Any) -> list[tuple[Any, str, str, str, str | None]]:
    """(view, method, url, HTTP method, action) for every route of every FAB view.

    Action routes are walked once per action of the view and once with an unknown action.
    """
    by_blueprint = {v.blueprint.name: v for v in _views()}
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint, _, method_name = rule.endpoint.partition(".")
        view = by_blueprint.get(blueprint)
        if view is None or rule.endpoint in SKIPPED_ENDPOINTS or isinstance(view, SecurityApi):
            continue
        http = next(m for m in ("GET", "POST", "PUT", "DELETE") if m in rule.methods)
        actions: list[str | None] = [None]
        if method_name in ("action", "action_post"):
            actions = [*(getattr(view, "actions", None) or {}), "no_such_action"]
        for action in actions:
            params = {**PARAM_VALUES, "name": action or "x"}
            url = re.sub(
                r"<(?:([a-z]+):)?([a-z_]+)>",
                lambda m, p=params: MISSING_ID if m.group(1) == "int" else p.get(m.group(2), "x"),
                rule.rule,
            )
            routes.append((view, method_name, url, http, action))
    return routes


def test_every_registered_view_and_api_has_a_matrix_entry(app):
    missing = sorted(
        {
            v.class_permission_name
            for v in appbuilder.baseviews
            if v.base_permissions and v.class_permission_name not in MATRIX
        }
    )
    assert missing == [], f"add these resources to app/security/roles.py MATRIX: {missing}"


def test_roles_in_the_database_hold_exactly_the_matrix(app):
    with app.app_context():
        admin = role_permissions(ADMIN)
        for role in ROLES[1:]:
            held = {p for p in role_permissions(role) if p[0] != "menu_access"}
            wanted = {
                (permission, resource)
                for resource, grants in MATRIX.items()
                for permission in grants.get(role, ())
            }
            assert held == {p for p in wanted if p in admin}, role
            assert held <= admin
        # Admin holds every permission that exists.
        every = {
            (PERMISSION_PREFIX + p.lstrip(PERMISSION_PREFIX) if False else p, v.class_permission_name)
            for v in appbuilder.baseviews
            for p in v.base_permissions
        }
        assert every <= admin


def _browser(app, user_factory, role):
    client = app.test_client()
    headers: dict[str, str] = {}
    if role != ANONYMOUS:
        _, username = user_factory(role)
        assert login(client, username).status_code == 302
        headers = jwt_headers(app.test_client(), username)
    return client, headers


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login/" in response.headers.get("Location", "")


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_each_endpoint_allows_or_denies_as_the_matrix_says(app, user_factory, role):
    client, headers = _browser(app, user_factory, role)
    routes = _routes(app)
    assert len(routes) > 60, "the walk found too few routes"
    mismatches = []
    for view, method_name, url, http, action in routes:
        permission = _permission_of(view, method_name, action)
        data: dict[str, Any] = {}
        if method_name == "action_post":
            data = {"action": action, "rowid": MISSING_ID}
        if url.startswith("/api/"):
            response = client.open(url, method=http, headers=headers, json={})
        else:
            response = client.open(url, method=http, data=data)
        assert response.status_code != 500, f"{http} {url} as {role} gave 500"
        allowed = _expected(view, permission, role)
        if _denied(response) == allowed:
            mismatches.append(
                f"{http} {url} [{permission}] as {role}: got {response.status_code}, "
                f"expected {'allowed' if allowed else 'denied'}"
            )
    assert mismatches == [], "\n".join(mismatches)
