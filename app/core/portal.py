"""The portal kit: the signed-in learner, `login_required`, JSON errors and form posts that flash.

Portal routes call services; a service error becomes a flashed message (pages) or the one error shape
`{"message", "errors"}` (JSON endpoints), and a form post's work commits once (`transaction()`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.core.errors import AppError
from app.core.transactions import transaction

P = ParamSpec("P")
R = TypeVar("R")


def signed_in_user() -> Any:
    """The signed-in user object, or None for visitors (the services accept None)."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def login_redirect() -> Response:
    """To the sign-in page, coming back here afterwards."""
    return redirect(url_for("AuthDBView.login", next=request.full_path.rstrip("?")))


def json_error(status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    """The one error shape as a JSON response."""
    response = jsonify({"message": message, "errors": errors or {}})
    response.status_code = status
    return response


def login_required(*, json: bool = False) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Visitors go to the sign-in page (or get a JSON 401 with `json=True`); members go on."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def guarded_view(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if signed_in_user() is None:
                return json_error(401, gettext("Please sign in.")) if json else login_redirect()
            return view(*args, **kwargs)

        return guarded_view

    return decorate


def flashed(back: str, done: str, action: Callable[[], Any]) -> Response:
    """Run a service call for a form post in one transaction: its error (rolled back) or `done` is
    flashed, then back to `back`."""
    try:
        with transaction():
            action()
    except AppError as error:
        flash(error.message, "danger")
        return redirect(back)
    flash(done, "success")
    return redirect(back)
