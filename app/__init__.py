"""The application factory."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from typing import Any

from flask import Flask, has_request_context, request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import appbuilder, db, migrate, socketio
from app.modules import MODULES
from config import BASE_DIR, CONFIGS, INSTANCE_DIR, ProductionConfig

csrf = CSRFProtect()


def _config_class(config: str | type | None) -> Any:
    if config is None:
        config = os.environ.get("APP_CONFIG", "development")
    if isinstance(config, str):
        try:
            return CONFIGS[config]
        except KeyError:
            raise RuntimeError(f"Unknown APP_CONFIG '{config}': use {', '.join(CONFIGS)}") from None
    return config


def _instance_secret_key() -> str:
    """Development only: a random key kept in instance/ so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: str | type | None = None, **overrides: Any) -> Flask:
    """Config -> extensions -> FAB -> every module's register(), in MODULES order."""
    config_class = _config_class(config)
    if config_class is ProductionConfig:
        ProductionConfig.check()
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder="templates")
    app.config.from_object(config_class)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key()
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    # FAB logs every permission it creates and warns about every column type it cannot filter
    # on (uuid, JSON): noise that would bury the passwords `flask app init` prints once.
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)
    logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)

    from app.security.passwords import validate_password

    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", validate_password)
    if app.config["PROXY_FIX_X_FOR"]:
        hops = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)

    from app.core import softdelete  # noqa: F401  (registers the global soft-delete filter)
    from app.core.errors import register_error_handlers
    from app.core.visitors import init_visitors
    from app.core.web import init_web
    from app.security.ratelimit import apply_rate_limits

    init_web(app)
    init_visitors(app)
    register_error_handlers(app)

    with app.app_context():
        appbuilder.init_app(app, db.session)
        _configure_babel(app)
        for name in MODULES:
            importlib.import_module(name).register(appbuilder)
        appbuilder.post_init()
        apply_rate_limits(appbuilder)
        _exempt_api_from_csrf(app)

    socketio.init_app(
        app,
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS") or None,
    )
    from app import cli
    from app.core import sockets  # noqa: F401

    cli.register_cli(app)
    return app


def _configure_babel(app: Flask) -> None:
    """Locale: ?_l_ -> the session (/lang/<code>) -> the user's saved locale -> Accept-Language."""
    from flask_login import current_user

    languages = list(app.config["LANGUAGES"])
    babel = app.extensions["babel"]

    def select_locale() -> str:
        if not has_request_context():  # CLI and tasks: messages in the default language
            return app.config["BABEL_DEFAULT_LOCALE"]
        requested = request.args.get("_l_")
        if requested in languages:
            return requested
        chosen = session.get("locale")
        if chosen in languages:
            return chosen
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
        return request.accept_languages.best_match(languages) or app.config["BABEL_DEFAULT_LOCALE"]

    def select_timezone() -> str | None:
        if has_request_context() and current_user and current_user.is_authenticated:
            return current_user.timezone or None
        return None

    babel.locale_selector = select_locale
    babel.timezone_selector = select_timezone


def _exempt_api_from_csrf(app: Flask) -> None:
    """The REST API authenticates with JWT only, so CSRF tokens do not apply there.

    FAB lets some APIs (its security APIs) accept the session cookie too; a CSRF-exempt API
    must not, or another site could drive it with a signed-in admin's cookie.
    """
    for view in appbuilder.baseviews:
        route_base = getattr(view, "route_base", "") or ""
        if route_base.startswith("/api/") and view.blueprint is not None:
            view.allow_browser_login = False
            csrf.exempt(view.blueprint)
