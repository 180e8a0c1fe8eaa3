"""Application errors, mapped once to JSON for the API and to pages or flashes for the UI."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of the errors a service raises for a caller to show."""

    status_code = 400
    default_message = _l("The request could not be processed.")

    def __init__(self, message: Any = None, errors: dict[str, Any] | None = None) -> None:
        self.message = str(message) if message is not None else str(self.default_message)
        self.errors = errors or {}
        super().__init__(self.message)


class Invalid(AppError):
    """Input breaks a rule (422)."""

    status_code = 422
    default_message = _l("The data is not valid.")


class Forbidden(AppError):
    """The user may not do this to this object (403)."""

    status_code = 403
    default_message = _l("You are not allowed to do this.")


class NotFound(AppError):
    """No such object, or not one the user may see (404)."""

    status_code = 404
    default_message = _l("Not found.")


class Conflict(AppError):
    """The change clashes with the current state (409)."""

    status_code = 409
    default_message = _l("This conflicts with existing data.")


class TooLarge(AppError):
    """The request or file is over a size limit (413)."""

    status_code = 413
    default_message = _l("The upload is too large.")


def wants_json() -> bool:
    """API and JSON clients get JSON errors; browsers get pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def error_response(status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    """One error shape: JSON `{"message", "errors"}` or a translated page."""
    if wants_json():
        response = jsonify({"message": message, "errors": errors or {}})
    else:
        # Client errors get the portal's navigation; a server error a page that needs nothing more
        # (the database or the session may be what failed).
        template = "lms/error.html" if status < 500 else "lms/error_plain.html"
        response = Response(render_template(template, status=status, message=message), mimetype="text/html")
    response.status_code = status
    return response


def json_error(status: int, message: str | None = None, errors: dict[str, Any] | None = None) -> Response:
    """A JSON error in the one shape, whatever the path (API token errors, for example)."""
    response = jsonify({"message": message or str(_HTTP_MESSAGES.get(status, "")), "errors": errors or {}})
    response.status_code = status
    return response


_HTTP_MESSAGES = {
    400: _l("The request was not understood."),
    401: _l("Please sign in."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with existing data."),
    413: _l("The upload is too large."),
    422: _l("The data is not valid."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
}


def http_message(status: int) -> str:
    """The translated words for an HTTP error status."""
    return str(_HTTP_MESSAGES.get(status, _HTTP_MESSAGES[400 if status < 500 else 500]))


def register_error_handlers(app: Flask) -> None:
    """Map AppError, HTTP errors and unexpected exceptions; never show a trace or SQL."""

    @app.errorhandler(AppError)
    def _app_error(exc: AppError) -> Response:
        return error_response(exc.status_code, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        status = exc.code or 500
        if status < 400:
            return exc
        message = str(_HTTP_MESSAGES.get(status, exc.name))
        return error_response(status, message)

    @app.errorhandler(SQLAlchemyError)
    def _db_error(exc: SQLAlchemyError) -> Response:
        log.exception("Database error on %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()
        return error_response(500, str(_HTTP_MESSAGES[500]))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, str(_HTTP_MESSAGES[500]))
