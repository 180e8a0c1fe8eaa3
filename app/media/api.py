"""REST API for the media library: /api/v1/media (upload, attach, signed links)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.api import BaseModelRestApi
from app.core.errors import AppError, Invalid, TooLarge
from app.core.filters import FilterOwnUnlessAdmin
from app.core.interface import SQLAInterface
from app.media import services
from app.media.models import Media

COLUMNS = [
    "id",
    "uuid",
    "original_filename",
    "kind",
    "mime_type",
    "extension",
    "size",
    "width",
    "height",
    "sha256",
    "download_count",
    "is_temporary",
    "expires_at",
    "mediable_type",
    "mediable_id",
    "uploader_id",
    "translations",
    "created_at",
]


class MediaApi(BaseModelRestApi):
    """Everyone's own uploads (admins see all); files only through signed links."""

    datamodel = SQLAInterface(Media)
    class_permission_name = "Media"
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "put",
        "delete",
        "upload",
        "presign",
        "complete",
        "attach",
        "link",
        "replace",
    }
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "upload": "write",
        "presign": "write",
        "complete": "write",
        "attach": "write",
        "replace": "write",
        "link": "read",
    }
    base_filters = [["uploader_id", FilterOwnUnlessAdmin, None]]
    list_columns = show_columns = COLUMNS
    search_columns = [
        "original_filename",
        "kind",
        "mime_type",
        "is_temporary",
        "mediable_type",
        "mediable_id",
    ]
    edit_columns = ["translations"]
    order_columns = ["created_at", "original_filename", "size", "download_count"]
    base_order = ("created_at", "desc")

    def _error(self, exc: AppError) -> Response:
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def _files(self) -> list[tuple[str, bytes]]:
        """The multipart `file` fields; a body over MAX_CONTENT_LENGTH is a 413 (FAB's @safe made it 500)."""
        try:
            return [(f.filename or "", f.read()) for f in request.files.getlist("file")]
        except RequestEntityTooLarge:
            raise TooLarge() from None

    @expose("/upload", methods=["POST"])
    @protect()
    @safe
    @permission_name("upload")
    def upload(self) -> Response:
        """Upload one or more files (multipart field `file`, repeatable) of a `kind`."""
        try:
            files = self._files()
            kind = request.form.get("kind") or "attachment"
            owner_type = request.form.get("owner_type") or None
            owner_id = request.form.get("owner_id") or None
            if owner_type and not (owner_id or "").isdigit():
                raise Invalid(_("owner_id must be a number."), {"owner_id": ["invalid"]})
            rows = services.upload_files(files, kind, g.user, owner_type, int(owner_id) if owner_id else None)
        except AppError as exc:
            return self._error(exc)
        return self.response(
            201, result=self.show_model_schema.dump(rows, many=True), ids=[m.id for m in rows]
        )

    @expose("/presign", methods=["POST"])
    @protect()
    @safe
    @permission_name("presign")
    def presign(self) -> Response:
        """A presigned URL to PUT a file straight to S3 (`filename`, `kind`), then call complete."""
        body = request.get_json(silent=True) or {}
        try:
            services.check_upload_rate()
            result = services.presign_upload(
                str(body.get("filename") or ""), str(body.get("kind") or ""), g.user
            )
        except AppError as exc:
            return self._error(exc)
        return self.response(200, **result)

    @expose("/complete", methods=["POST"])
    @protect()
    @safe
    @permission_name("complete")
    def complete(self) -> Response:
        """Validate and register a file uploaded with a presigned URL (`token`, optional owner)."""
        body = request.get_json(silent=True) or {}
        owner_type, owner_id = body.get("owner_type") or None, body.get("owner_id")
        try:
            if owner_type and not isinstance(owner_id, int):
                raise Invalid(_("owner_id must be a number."), {"owner_id": ["invalid"]})
            media = services.complete_upload(str(body.get("token") or ""), g.user, owner_type, owner_id)
        except AppError as exc:
            return self._error(exc)
        return self.response(201, result=self.show_model_schema.dump(media), id=media.id)

    def pre_delete(self, item: Any) -> None:
        """A file of an item the user may no longer change (a graded submission) stays."""
        services.require_changeable(item, g.user)

    def delete_headless(self, pk: Any) -> Response:
        """FAB's (soft) delete, with the refusal of `pre_delete` as a 403."""
        try:
            return super().delete_headless(pk)
        except AppError as exc:
            return self._error(exc)

    @expose("/<int:pk>/attach", methods=["POST"])
    @protect()
    @safe
    @permission_name("attach")
    def attach(self, pk: int) -> Response:
        """Attach a temporary upload to its owner (`owner_type`, `owner_id`)."""
        body = request.get_json(silent=True) or {}
        media = self.datamodel.get(pk, self._base_filters)
        if media is None:
            return self.response_404()
        try:
            owner_type, owner_id = str(body.get("owner_type") or ""), body.get("owner_id")
            if not owner_type or not isinstance(owner_id, int):
                raise Invalid(_("owner_type and a numeric owner_id are required."), {"owner": ["required"]})
            services.attach(media, owner_type, owner_id, g.user)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, result=self.show_model_schema.dump(media))

    @expose("/<int:pk>/replace", methods=["POST"])
    @protect()
    @safe
    @permission_name("replace")
    def replace(self, pk: int) -> Response:
        """Upload a new version (multipart `file`); the previous one is kept for admins."""
        media = self.datamodel.get(pk, self._base_filters)
        if media is None:
            return self.response_404()
        try:
            files = self._files()
            if not files:
                raise Invalid(_("Send the new file in the `file` field."), {"file": ["required"]})
            services.replace_file(media, files[0][0], files[0][1], g.user)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, result=self.show_model_schema.dump(media))

    @expose("/<int:pk>/link", methods=["POST"])
    @protect()
    @safe
    @permission_name("link")
    def link(self, pk: int) -> Response:
        """A signed, expiring download URL (`inline` for image/video preview, `variant` for a thumbnail)."""
        body = request.get_json(silent=True) or {}
        try:
            variant = body.get("variant") or None
            if variant is not None and not isinstance(variant, str):
                raise Invalid(
                    _("variant must be a thumbnail size such as 128x128."), {"variant": ["invalid"]}
                )
            media = services.get_media(pk)
            url = services.issue_link(media, g.user, inline=bool(body.get("inline")), variant=variant)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, url=url, expires_in=current_app.config["MEDIA_LINK_SECONDS"])
