"""Rate limits on FAB's limiter (Redis storage): logins per IP and per account, and the whole API.

The per-account login budget spares the owner's known devices (a signed cookie set at a successful
login) and the IP addresses they signed in from (the audit log), so it cannot be used to lock them out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.security.api import SecurityApi
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse as parse_limit
from werkzeug.exceptions import TooManyRequests

from app.core.models import utcnow


def login_rate_limit() -> str:
    """Read at request time so that tests and operators can change it."""
    return current_app.config["LOGIN_RATE_LIMIT"]


LOGIN_ENDPOINTS = frozenset({"AuthDBView.login", "SecurityApi.login"})
KNOWN_DEVICE_COOKIE = "lms_known_device"
KNOWN_DEVICE_SALT = "known-device"
KNOWN_DEVICE_ACCOUNTS = 5  # accounts one browser remembers (a shared family computer)


def login_account(appbuilder: AppBuilder) -> tuple[str, Any]:
    """The account a login aims at (by user name or email), whatever form or API it comes through."""
    typed = request.form.get("username") or (request.get_json(silent=True) or {}).get("username") or ""
    typed = str(typed).strip()[:150]
    sm = appbuilder.sm
    user = sm.find_user(username=typed) or sm.find_user(email=typed) if typed else None
    key = f"user:{user.id}" if user is not None else f"unknown:{typed.lower()}"
    return key, user


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=KNOWN_DEVICE_SALT)


def _known_device_max_age() -> timedelta:
    return timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"])


def known_device_accounts() -> list[int]:
    """Ids of the accounts that signed in before from this browser (signed, expiring cookie)."""
    value = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return []
    try:
        ids = _device_serializer().loads(value, max_age=int(_known_device_max_age().total_seconds()))
    except BadData:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_device(user_id: int) -> None:
    """After a successful login: this browser (and IP, through the audit log) is the owner's."""
    g.known_device_user_id = user_id


def set_known_device_cookie(response: Response) -> Response:
    """after_request: write the known-device cookie of a login that succeeded in this request."""
    user_id = g.get("known_device_user_id")
    if user_id is None:
        return response
    ids = [user_id, *(i for i in known_device_accounts() if i != user_id)][:KNOWN_DEVICE_ACCOUNTS]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        _device_serializer().dumps(ids),
        max_age=int(_known_device_max_age().total_seconds()),
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def is_owner_device(user: Any) -> bool:
    """This browser or this IP address signed in to the account before."""
    from app.audit.services import signed_in_from

    if user.id in known_device_accounts():
        return True
    since = utcnow() - _known_device_max_age()
    return signed_in_from(user.id, get_remote_address(), since)


def throttle_account_logins(appbuilder: AppBuilder) -> None:
    """before_request: one counter per account across the form and the JWT login.

    Once an account's budget is spent, only the owner's known devices and IP addresses may still
    try (their password is checked as usual, and the per-IP limit still applies), so that a guesser
    cannot lock the owner out.
    """
    if request.method != "POST" or request.endpoint not in LOGIN_ENDPOINTS:
        return
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limit = parse_limit(current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"])
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    key, user = login_account(appbuilder)
    if appbuilder.sm.limiter.limiter.hit(limit, prefix, "login-account", key):
        return
    if user is not None and is_owner_device(user):
        return
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
    # One per-IP budget shared by the form login, the JWT login and registration (a limit per
    # blueprint would give a guesser one budget per door).
    per_ip = limiter.shared_limit(
        login_rate_limit, scope="login", methods=["POST"], key_func=get_remote_address
    )
    for view in filter(None, login_views):
        per_ip(view.blueprint)
    current_app.before_request(lambda: throttle_account_logins(appbuilder))
    current_app.after_request(set_known_device_cookie)
    for view in appbuilder.baseviews:
        if not isinstance(view, SecurityApi) and (getattr(view, "route_base", "") or "").startswith("/api/"):
            limiter.limit(api_rate_limit, key_func=api_rate_key)(view.blueprint)


def spend_budget(config_key: str, scope: str, key: str) -> bool:
    """Spend one request of the budget named by `config_key` ("3 per hour") for `key` in `scope`;
    False once it is spent (always True when rate limits are off)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    from app.extensions import appbuilder

    limit = parse_limit(current_app.config[config_key])
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return bool(appbuilder.sm.limiter.limiter.hit(limit, prefix, scope, key))
