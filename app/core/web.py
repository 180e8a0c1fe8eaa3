"""Per-request plumbing: request id, security headers, CSP nonce, SQL statement counter."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import BadRequest

from app.core.datepicker import datepicker_options
from app.core.errors import AppError
from app.core.listing import count_label, page_window
from app.core.menus import menu_categories, menu_sections
from app.core.money import money_html
from app.core.transactions import finish_request

FAVICON = "img/logo.svg"
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def csp_nonce() -> str:
    """One nonce per request, used by FAB's templates (`baselib.get_nonce`) and ours."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _socket_sources() -> str:
    """WebSocket origins: this site ('self' covers same-origin ws/wss in CSP 3 browsers, the explicit
    ws(s)://host covers older ones) plus SOCKETIO_CORS_ALLOWED_ORIGINS; never any host."""
    secure = request.scheme == "https"
    own = f"{'wss' if secure else 'ws'}://{request.host}"
    allowed = current_app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS") or []
    origins = [allowed] if isinstance(allowed, str) else list(allowed)
    extra = [origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1) for origin in origins]
    return " ".join(dict.fromkeys([own, *origins, *extra]))


def _content_security_policy(nonce: str) -> str:
    frames = " ".join(current_app.config.get("EMBED_FRAME_SOURCES", []))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src 'self' {_socket_sources()}",
            # The web push service worker (/service-worker.js); the browser itself talks to its push
            # service, so subscribing needs no connect-src beyond this site.
            "worker-src 'self'",
            f"frame-src 'self' {frames}".strip(),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# NUL (PostgreSQL text cannot store it) and lone surrogates (not UTF-8: the driver cannot send them).
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
# Deeper than any body of ours; a deeper one would exhaust recursion in the code that reads it.
MAX_JSON_DEPTH = 32


def _json_problem(value: Any) -> str | None:
    """Why a parsed JSON value is refused (walked without recursion, however deep), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return _("The JSON body is nested too deeply.")
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((part, depth + 1) for part in item)
        elif isinstance(item, str) and UNSTORABLE_CHARACTERS.search(item):
            return _("The request holds a character that cannot be stored.")
    return None


def refuse_unreadable_input() -> None:
    """400 for a JSON body that cannot be read or stored, and for a query or form with a NUL character.

    The body is parsed here once (and cached for the handler), so every route, FAB's included,
    answers the same clear 400 instead of failing somewhere inside.
    """
    fields = [*request.args.values(), *request.args.keys()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.values(), *request.form.keys()]
    if any(UNSTORABLE_CHARACTERS.search(field) for field in fields):
        raise AppError(_("The request holds a character that cannot be stored."))
    if not request.is_json or not request.get_data(cache=True):
        return
    try:
        body = request.get_json()
    except (BadRequest, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise AppError(_("The body is not valid JSON."), {"body": [_("Send valid JSON.")]}) from None
    problem = _json_problem(body)
    if problem:
        raise AppError(problem, {"body": [problem]})


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args: object) -> None:
    if has_app_context():  # not during migrations or CLI bootstrap
        g.query_count = g.get("query_count", 0) + 1


def init_web(app: Flask) -> None:
    """Install the before/after request hooks and the Jinja helpers."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["page_window"] = page_window
    app.jinja_env.globals["count_label"] = count_label
    app.jinja_env.globals["menu_categories"] = menu_categories
    app.jinja_env.globals["menu_sections"] = menu_sections
    app.jinja_env.globals["money"] = money_html
    app.jinja_env.globals["datepicker_options"] = datepicker_options
    # Browsers ask for /favicon.ico whatever the page says: the same logo the pages link to.
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename=FAVICON), 301))

    @app.before_request
    def _start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        g.query_count = 0
        refuse_unreadable_input()

    @app.after_request
    def _finish_request(response: Response) -> Response:
        headers = response.headers
        headers["X-Request-ID"] = g.get("request_id", "")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Content-Security-Policy", _content_security_policy(csp_nonce()))
        if request.is_secure:
            headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains",
            )
        response = finish_request(response)
        if app.config.get("QUERY_COUNT_HEADER"):
            headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response
