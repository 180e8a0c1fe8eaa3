"""Media screens: the admin library, the storage browser, and the signed download route."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core.display import code_formatter, entity_label
from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView
from app.media import avatars, choosing, services
from app.media.models import Media
from app.media.storage import content_disposition
from app.media.validation import human_size, kind_rules

INLINE_TYPES = ("image/", "video/", "audio/")
KIND_LABELS = {
    "avatar": _l("Avatar"),
    "course_material": _l("Course material"),
    "post_media": _l("Post media"),
    "event_banner": _l("Event banner"),
    "job_attachment": _l("Job attachment or CV"),
    "cv": _l("CV"),
    "chat_attachment": _l("Chat attachment"),
    "assignment_submission": _l("Assignment submission"),
    "attachment": _l("Attachment"),
}


def kind_label(kind: str) -> str:
    """A kind of upload in the current language (its code when it has no label)."""
    return str(KIND_LABELS.get(kind, kind))


media_files = Blueprint("media_files", __name__)


@media_files.route("/media/<token>")
def download(token: str) -> Response:
    """Serve a file for a valid signed link: a presigned redirect on S3, a stream otherwise."""
    media, claims = services.resolve_link(token)
    variant = claims.get("v")
    code, path, mime_type = services.stored_location(media, variant)
    inline = bool(claims.get("i")) and mime_type.startswith(INLINE_TYPES)
    store = services.storage()
    presigned = store.presigned_get(
        code, path, filename=media.original_filename, mime_type=mime_type, inline=inline, seconds=60
    )
    stream = None if presigned else services.open_stored(code, path)
    if variant is None:
        try:
            services.check_download(media, claims.get("u"))
        except Exception:
            if stream is not None:
                stream.close()
            raise
    services.record_download(media, claims.get("u"), variant)  # counted once the file is there
    if presigned:
        return redirect(presigned, code=302)

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    response = Response(chunks(), mimetype=mime_type, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", media.original_filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if variant is None:
        response.headers["Content-Length"] = str(media.size)
    return response


@media_files.route("/media/image/<key>")
def image(key: str) -> Response:
    """A published image (rich text): the same address for every reader, no download counted."""
    media = choosing.published_image(key)
    store = services.storage()
    code, path = media.provider.code, media.storage_path
    presigned = store.presigned_get(
        code, path, filename=media.original_filename, mime_type=media.mime_type, inline=True, seconds=3600
    )
    if presigned:
        return redirect(presigned, code=302)
    stream = services.open_stored(code, path)

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    response = Response(chunks(), mimetype=media.mime_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(media.size)
    response.headers["Content-Disposition"] = content_disposition("inline", media.original_filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Readers' browsers keep it for an hour; an unpublished or deleted image is gone after that.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@media_files.route("/media/avatar/<key>/<int:size>")
def avatar(key: str, size: int) -> Response:
    """A user's avatar at one of the made sizes, for whoever may see it (see app.media.avatars)."""
    media, code, path, mime_type, public = avatars.served_avatar(key, size)
    store = services.storage()
    presigned = store.presigned_get(
        code, path, filename=media.original_filename, mime_type=mime_type, inline=True, seconds=3600
    )
    if presigned:
        return redirect(presigned, code=302)
    stream = services.open_stored(code, path)

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    response = Response(chunks(), mimetype=mime_type, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition("inline", f"avatar-{size}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The address changes with the picture (?v=); an avatar hidden from visitors stays out of shared caches.
    response.headers["Cache-Control"] = "public, max-age=3600" if public else "private, max-age=300"
    return response


def _thumbnail(media: Media) -> Markup:
    if "128x128" not in (media.meta or {}).get("thumbnails", {}):
        return Markup('<i class="fa fa-file"></i>')
    url = services.issue_link(media, g.user, inline=True, variant="128x128")
    return Markup('<img src="{}" alt="{}" width="48" loading="lazy">').format(url, media.original_filename)


class MediaModelView(BaseModelView):
    """The media library for admins: thumbnails, filters, bulk delete (restore from the Trash)."""

    datamodel = SQLAInterface(Media)
    class_permission_name = "MediaLibrary"
    include_route_methods = {
        "list",
        "show",
        "edit",
        "delete",
        "export_csv",
        "action",
        "action_post",
        "upload",
    }
    method_permission_name = {**BaseModelView.method_permission_name, "upload": "write"}
    list_title = _l("Media Library")
    show_title = edit_title = _l("File")
    label_columns = {
        "preview": _l("Preview"),
        "original_filename": _l("File name"),
        "kind": _l("Kind"),
        "mime_type": _l("Type"),
        "extension": _l("Extension"),
        "size": _l("Size"),
        "width": _l("Width"),
        "height": _l("Height"),
        "provider": _l("Storage provider"),
        "is_temporary": _l("Temporary"),
        "expires_at": _l("Expires"),
        "mediable_type": _l("Owner type"),
        "mediable_id": _l("Owner id"),
        "uploader": _l("Uploaded by"),
        "download_count": _l("Downloads"),
        "sha256": _l("SHA-256"),
        "meta": _l("Metadata"),
        "created_at": _l("Uploaded"),
        "alt": _l("Alt text"),
    }
    list_columns = [
        "preview",
        "original_filename",
        "kind",
        "mime_type",
        "size",
        "provider",
        "is_temporary",
        "download_count",
        "created_at",
    ]
    search_columns = ["original_filename", "kind", "mime_type", "mediable_type", "is_temporary", "provider"]
    show_columns = [
        "preview",
        "original_filename",
        "kind",
        "mime_type",
        "extension",
        "size",
        "width",
        "height",
        "provider",
        "is_temporary",
        "expires_at",
        "mediable_type",
        "mediable_id",
        "uploader",
        "download_count",
        "sha256",
        "meta",
        "created_at",
    ]
    edit_columns = []  # only the alt text (per-language fields are added by BaseModelView)
    base_order = ("created_at", "desc")
    order_columns = ["original_filename", "size", "download_count", "created_at"]
    formatters_columns = {
        "size": human_size,
        "preview": _thumbnail,
        "kind": kind_label,
        "mime_type": code_formatter("mime_type"),
        "extension": code_formatter("extension"),
        "mediable_type": entity_label,
    }

    @expose("/upload", methods=["GET", "POST"])
    @has_access
    def upload(self) -> Any:
        """Upload one or several files from the back office (they start as temporary)."""
        kinds = sorted(kind_rules(current_app.config))
        if request.method == "POST":
            files = [(f.filename or "", f.read()) for f in request.files.getlist("file") if f.filename]
            try:
                rows = services.upload_files(files, request.form.get("kind", ""), g.user)
            except AppError as exc:
                details = exc.errors.get("files") or {}
                flash(exc.message, "danger")
                for name, messages in details.items():
                    flash(f"{name}: {' '.join(messages)}", "danger")
            else:
                flash(gettext("%(count)d file(s) uploaded.", count=len(rows)), "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "lms/media/upload.html", kinds=[(kind, kind_label(kind)) for kind in kinds]
        )
