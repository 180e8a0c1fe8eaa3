"""The media picker's endpoints for back-office pages (session and CSRF token, JSON answers):
list the files the user may pick, upload one, publish an image for rich text. The dialog itself is
`static/js/media-picker.js`."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access_api
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.errors import AppError, TooLarge, json_error
from app.core.transactions import transaction
from app.media import choosing, services


def _error(exc: AppError) -> Any:
    return json_error(exc.status_code, exc.message, exc.errors)


class MediaPickerView(BaseView):
    """JSON endpoints of the picker dialog, for staff who write rich text and fill media fields."""

    route_base = "/admin/media-picker"
    class_permission_name = "MediaPicker"
    method_permission_name = {"items": "read", "upload": "write", "publish": "write"}
    default_view = "items"

    @expose("/items")
    @has_access_api
    def items(self) -> Any:
        """A page of the user's files (`q` searches names, `images=1` lists images only, `page`)."""
        page = request.args.get("page", default=1, type=int) or 1
        images = request.args.get("images") in ("1", "true")
        return jsonify(choosing.pick_page(g.user, q=request.args.get("q", ""), page=page, images_only=images))

    @expose("/upload", methods=["POST"])
    @has_access_api
    def upload(self) -> Any:
        """Store one file (multipart `file`, optional `kind`) through the library's checks."""
        try:
            try:
                files = [(f.filename or "", f.read()) for f in request.files.getlist("file")]
            except RequestEntityTooLarge:
                raise TooLarge() from None
            with transaction():
                media = choosing.uploaded(files, request.form.get("kind") or "attachment", g.user)
            return jsonify({"file": choosing.summary(media, g.user)}), 201
        except AppError as exc:
            return _error(exc)

    @expose("/<int:pk>/publish", methods=["POST"])
    @has_access_api
    def publish(self, pk: int) -> Any:
        """Publish an image the user may pick; answers its stable address for rich text."""
        try:
            with transaction():
                url = choosing.publish_image(services.get_media(pk), g.user)
        except AppError as exc:
            return _error(exc)
        return jsonify({"url": url})


def picker_settings() -> dict[str, str]:
    """The picker's addresses, for the editor scripts (`app.core.richtext.editor_config`)."""
    return {
        "items": url_for("MediaPickerView.items"),
        "upload": url_for("MediaPickerView.upload"),
        "publish": url_for("MediaPickerView.publish", pk=0).replace("/0/", "/__id__/"),
    }
