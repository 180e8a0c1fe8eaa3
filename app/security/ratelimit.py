"""Rate limits on FAB's limiter (Redis storage): logins (form and JWT) and the whole API."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.security.api import SecurityApi
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter.util import get_remote_address
from flask_login import current_user


def login_rate_limit() -> str:
    """Read at request time so that tests and operators can change it."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def api_rate_limit() -> str:
    """Read at request time."""
    return current_app.config["API_RATE_LIMIT"]


def api_rate_key() -> str:
    """Per user when authenticated (JWT or session), per IP otherwise."""
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # an invalid token is refused later by the view; count it per IP here
        identity = None
    if identity:
        return f"user:{identity}"
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


def apply_rate_limits(appbuilder: AppBuilder) -> None:
    """Attach the limits to FAB's blueprints (limits are evaluated per request)."""
    limiter = appbuilder.sm.limiter
    for view in (appbuilder.sm.auth_view, getattr(appbuilder.sm, "registeruser_view", None)):
        if view is not None:
            limiter.limit(login_rate_limit, methods=["POST"], key_func=get_remote_address)(view.blueprint)
    for view in appbuilder.baseviews:
        if isinstance(view, SecurityApi):
            limiter.limit(login_rate_limit, methods=["POST"], key_func=get_remote_address)(view.blueprint)
        elif (getattr(view, "route_base", "") or "").startswith("/api/"):
            limiter.limit(api_rate_limit, key_func=api_rate_key)(view.blueprint)
