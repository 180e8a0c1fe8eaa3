"""Web push for browsers: the site's public key, (un)subscribing this browser, the service worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _

from app.core.errors import AppError
from app.core.portal import json_error, signed_in_user
from app.core.transactions import transaction
from app.notifications.services import push


def _json_call(action: Callable[[], Any]) -> Response:
    """Run a service call in one transaction; its error as the one JSON error shape."""
    try:
        with transaction():
            result = action()
    except AppError as error:
        return json_error(error.status_code, error.message, error.errors)
    return jsonify(result)


class PushView(BaseView):
    """JSON endpoints of the preferences page's "Turn on browser notifications" (session and CSRF)."""

    route_base = "/notifications/push"
    # Every role subscribes its own browsers (a resource of its own: FAB syncs one view's
    # permissions per resource).
    class_permission_name = "NotificationPush"
    method_permission_name = {"subscribe": "write", "unsubscribe": "write"}

    @expose("/key")
    def key(self) -> Response:
        """The public VAPID key browsers subscribe with; 404 when push is off."""
        key = push.public_key()
        if key is None:
            return json_error(404, _("Browser notifications are off on this site."))
        return jsonify({"public_key": key})

    @expose("/subscribe", methods=["POST"])
    @has_access_api
    def subscribe(self) -> Response:
        """Record this browser's subscription `{endpoint, keys: {p256dh, auth}}` for the signed-in user."""
        user = signed_in_user()

        def act() -> dict[str, Any]:
            push.subscribe(user, request.get_json(silent=True), request.user_agent.string)
            return {"subscribed": True, "browsers": push.subscription_count(user.id)}

        return _json_call(act)

    @expose("/unsubscribe", methods=["POST"])
    @has_access_api
    def unsubscribe(self) -> Response:
        """Forget this browser (`{endpoint}`), one of the signed-in user's own."""
        user = signed_in_user()

        def act() -> dict[str, Any]:
            push.unsubscribe(user, request.get_json(silent=True))
            return {"subscribed": False, "browsers": push.subscription_count(user.id)}

        return _json_call(act)


def service_worker() -> Response:
    """/service-worker.js from the site's root, so that its scope is the whole site."""
    response = current_app.send_static_file("js/service-worker.js")
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers look for a new worker at most daily anyway; no-cache makes an update reach them at once.
    response.headers["Cache-Control"] = "no-cache"
    return response
