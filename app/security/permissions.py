"""The role matrix applied to portal routes, which are not FAB views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from app.extensions import appbuilder


def has_permission(permission: str, resource: str) -> bool:
    """True when the signed-in user's roles (any of them) grant the permission on the resource."""
    return bool(current_user.is_authenticated and appbuilder.sm.has_access(permission, resource))


def requires_permission(permission: str, resource: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A portal action needs the same matrix permission as its API verb: 403 without it.

    Anonymous visitors go on to the route, which sends them to sign in.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.is_authenticated and not has_permission(permission, resource):
                abort(403)
            return func(*args, **kwargs)

        return wrapper

    return decorate
