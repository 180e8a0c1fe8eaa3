"""Rate limits on FAB's limiter (Redis storage): logins per IP and per account, and the whole API."""

from __future__ import annotations

from flask import current_app, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.security.api import SecurityApi
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse as parse_limit
from werkzeug.exceptions import TooManyRequests


def login_rate_limit() -> str:
    """Read at request time so that tests and operators can change it."""
    return current_app.config["LOGIN_RATE_LIMIT"]


LOGIN_ENDPOINTS = frozenset({"AuthDBView.login", "SecurityApi.login"})


def login_account_key(appbuilder: AppBuilder) -> str:
    """The account a login aims at (by user name or email), whatever form or API it comes through."""
    typed = request.form.get("username") or (request.get_json(silent=True) or {}).get("username") or ""
    typed = str(typed).strip()[:150]
    sm = appbuilder.sm
    user = sm.find_user(username=typed) or sm.find_user(email=typed) if typed else None
    return f"user:{user.id}" if user is not None else f"unknown:{typed.lower()}"


def throttle_account_logins(appbuilder: AppBuilder) -> None:
    """before_request: one counter per account across the form and the JWT login."""
    if request.method != "POST" or request.endpoint not in LOGIN_ENDPOINTS:
        return
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limit = parse_limit(current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"])
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    if not appbuilder.sm.limiter.limiter.hit(limit, prefix, "login-account", login_account_key(appbuilder)):
        raise TooManyRequests()


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
    login_views = [appbuilder.sm.auth_view, getattr(appbuilder.sm, "registeruser_view", None)]
    login_views += [view for view in appbuilder.baseviews if isinstance(view, SecurityApi)]
    for view in filter(None, login_views):
        limiter.limit(login_rate_limit, methods=["POST"], key_func=get_remote_address)(view.blueprint)
    current_app.before_request(lambda: throttle_account_logins(appbuilder))
    for view in appbuilder.baseviews:
        if not isinstance(view, SecurityApi) and (getattr(view, "route_base", "") or "").startswith("/api/"):
            limiter.limit(api_rate_limit, key_func=api_rate_key)(view.blueprint)
