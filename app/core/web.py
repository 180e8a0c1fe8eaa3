"""Per-request plumbing: request id, security headers, CSP nonce, SQL statement counter."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_app_context, request
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
            f"frame-src 'self' {frames}".strip(),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _holds_nul(value: Any) -> bool:
    """True when a string anywhere in a JSON value holds a NUL (PostgreSQL text cannot store one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """400 for a query string, form or JSON body carrying a NUL character, whatever the route."""
    fields = [*request.args.values(), *request.args.keys()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.values(), *request.form.keys()]
    if _holds_nul(fields) or (request.is_json and _holds_nul(request.get_json(silent=True))):
        abort(400)


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args: object) -> None:
    if has_app_context():  # not during migrations or CLI bootstrap
        g.query_count = g.get("query_count", 0) + 1


def init_web(app: Flask) -> None:
    """Install the before/after request hooks and the Jinja helpers."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["get_locale"] = get_locale

    @app.before_request
    def _start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        g.query_count = 0
        refuse_nul_characters()

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
        if app.config.get("QUERY_COUNT_HEADER"):
            headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response
