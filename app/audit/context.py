"""Who is acting and from where: read without touching the database (safe inside a flush)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import inspect
from werkzeug.local import LocalProxy

_system_actor: ContextVar[str | None] = ContextVar("audit_system_actor", default=None)
_disabled: ContextVar[bool] = ContextVar("audit_disabled", default=False)


@dataclass(frozen=True)
class Actor:
    """The user id (if any) and a label: a username, `system:<task>` or `anonymous`."""

    user_id: int | None
    label: str


@contextmanager
def system_actor(task_name: str) -> Iterator[None]:
    """Attribute every write inside the block to `system:<task_name>` (tasks, CLI)."""
    token = _system_actor.set(f"system:{task_name}")
    try:
        yield
    finally:
        _system_actor.reset(token)


@contextmanager
def audit_disabled() -> Iterator[None]:
    """Skip automatic audit rows inside the block (only for bootstrapping the audit lookups)."""
    token = _disabled.set(True)
    try:
        yield
    finally:
        _disabled.reset(token)


def is_audit_disabled() -> bool:
    """True inside `audit_disabled()`."""
    return _disabled.get()


def _request_user() -> object | None:
    if not has_request_context():
        return None
    user = g.get("user")
    if isinstance(user, LocalProxy):
        # Only use the Flask-Login user already loaded for this request; never load here.
        user = g.get("_login_user")
    return user


def user_actor(user: object) -> Actor:
    """An actor for a given user object, read from loaded state only."""
    state = inspect(user, raiseerr=False)
    if state is None or state.identity is None:
        return Actor(None, "anonymous")
    user_id = state.identity[0]
    username = state.dict.get("username")
    return Actor(user_id, username or f"user:{user_id}")


def current_actor() -> Actor:
    """The system task, else the signed-in user (session or JWT), else anonymous."""
    system = _system_actor.get()
    if system:
        return Actor(None, system)
    user = _request_user()
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(None, "anonymous")
    return user_actor(user)


def request_info() -> dict[str, str | None]:
    """IP (after ProxyFix), user agent and request id of the current request, if any."""
    if not has_request_context():
        return {"ip": None, "user_agent": None, "request_id": None}
    return {
        "ip": (request.remote_addr or "")[:45] or None,
        "user_agent": (request.user_agent.string or "")[:512] or None,
        "request_id": g.get("request_id"),
    }
