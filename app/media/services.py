"""Media rules: validated uploads, temporary files, attaching, signed downloads, thumbnails."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse as parse_limit
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from app.audit.services import record
from app.core import targets
from app.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from app.core.models import utcnow
from app.core.softdelete import soft_delete
from app.core.tasks import enqueue
from app.extensions import appbuilder, db
from app.lookups.services import lookup_id
from app.media import images
from app.media.models import Media
from app.media.scanning import scanner_from_config
from app.media.storage import ResourceNotFound, Storage, StorageUnavailable
from app.media.validation import KindRule, UploadRejected, ValidatedUpload, kind_rules, validate_upload

LINK_SALT = "media-link"
UPLOAD_SALT = "media-direct-upload"
_UNSAVED_FILES = "media_unsaved_files"  # (provider, path) written in the open transaction

log = logging.getLogger(__name__)


class TooManyUploads(AppError):
    """The per-IP upload limit is reached (429)."""

    status_code = 429
    default_message = _l("Too many uploads. Please wait a moment and try again.")


def storage() -> Storage:
    """The providers of the current configuration."""
    return Storage(current_app.config)


def check_upload_rate(files: int = 1) -> None:
    """Per IP, every file counts (a request of 200 files is 200 uploads)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = appbuilder.sm.limiter.limiter
    limit = parse_limit(current_app.config["MEDIA_UPLOAD_RATE_LIMIT"])
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    ip = request.remote_addr or "unknown"
    if not limiter.hit(limit, prefix, "media-upload", ip, cost=max(files, 1)):
        raise TooManyUploads()


def check_kind_allowed(kind: str, user: Any) -> None:
    """Some kinds (course material, event banners) belong to staff roles (MEDIA_KIND_ROLES)."""
    roles = current_app.config.get("MEDIA_KIND_ROLES", {}).get(kind)
    if roles and not any(role.name in roles for role in getattr(user, "roles", [])):
        raise Forbidden(_("You may not upload this kind of file."))


def kind_limits(kind: str) -> KindRule:
    """The extensions and the size limit of a kind of upload (MEDIA_KINDS applied)."""
    return kind_rules(current_app.config)[kind]


def validate_files(files: list[tuple[str, bytes]], kind: str) -> list[ValidatedUpload]:
    """Validate every file first: one bad file refuses the whole request and nothing is stored."""
    if not files:
        raise Invalid(_("Send at least one file in the `file` field."), {"file": ["required"]})
    config = current_app.config
    rules, scanner = kind_rules(config), scanner_from_config(config)
    accepted: list[ValidatedUpload] = []
    rejected: dict[str, list[str]] = {}
    statuses: set[int] = set()
    for index, (name, data) in enumerate(files):
        try:
            accepted.append(validate_upload(name, data, kind, rules=rules, scanner=scanner))
        except UploadRejected as exc:
            if len(files) == 1:
                raise
            rejected[name or f"file {index + 1}"] = [exc.message]
            statuses.add(exc.status_code)
    if rejected:
        error = Invalid(_("Some files were refused; none was stored."), {"files": rejected})
        error.status_code = 413 if statuses == {413} else 422
        raise error
    return accepted


def _delete_on_rollback(code: str, path: str) -> None:
    """Delete a file just written if the transaction of its row rolls back (no row, no file)."""
    db.session.info.setdefault(_UNSAVED_FILES, []).append((code, path))


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    if not session.in_nested_transaction():  # the rows are committed: their files stay
        session.info.pop(_UNSAVED_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_written_files(session: Session, ended: SessionTransaction) -> None:
    if ended.parent is not None or ended.nested:  # a savepoint: the session's transaction goes on
        return
    for code, path in session.info.pop(_UNSAVED_FILES, []):
        try:
            storage().delete(code, path)
        except Exception:  # a file left behind must not hide why the transaction failed
            log.exception("Could not delete %s:%s after a rollback", code, path)


def _storage_path(kind: str, extension: str) -> str:
    now = utcnow()
    return f"{kind}/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"


def upload_files(
    files: list[tuple[str, bytes]],
    kind: str,
    user: Any,
    owner_type: str | None = None,
    owner_id: int | None = None,
) -> list[Media]:
    """Store validated files: attached to an owner, or temporary until attached."""
    if owner_type:
        owner = targets.load_target(owner_type, int(owner_id or 0))
        if not targets.can_edit(user, owner_type, owner):
            raise Forbidden(_("You may not add files to this item."))
    return store_files(files, kind, user, owner_type, owner_id)


def store_files(
    files: list[tuple[str, bytes]],
    kind: str,
    user: Any,
    owner_type: str | None = None,
    owner_id: int | None = None,
) -> list[Media]:
    """`upload_files` for a module's service that has checked the owner with its own rules (an
    assignment's dates and limits): files of such owners never go through the generic media API."""
    check_kind_allowed(kind, user)
    check_upload_rate(len(files))
    validated = validate_files(files, kind)
    expires = utcnow() + timedelta(hours=current_app.config["MEDIA_TEMPORARY_HOURS"])
    written: list[tuple[str, str]] = []
    rows: list[Media] = []
    try:
        for item in validated:
            path = _storage_path(kind, item.extension)
            provider = storage().write(path, item.data)
            written.append((provider.code, path))
            rows.append(
                Media(
                    original_filename=item.display_name,
                    storage_path=path,
                    provider_id=lookup_id("storage_providers", provider.code),
                    kind=kind,
                    mime_type=item.mime_type,
                    extension=item.extension,
                    size=item.size,
                    width=item.width,
                    height=item.height,
                    sha256=item.sha256,
                    meta={"exif": item.exif} if item.exif else {},
                    uploader_id=getattr(user, "id", None),
                    is_temporary=not owner_type,
                    expires_at=None if owner_type else expires,
                    mediable_type=owner_type or None,
                    mediable_id=int(owner_id) if owner_type else None,
                )
            )
        with db.session.begin_nested():  # a refused row undoes only these rows, not the caller's work
            db.session.add_all(rows)
    except Exception:
        for code, path in written:  # no row, no file
            storage().delete(code, path)
        raise
    for code, path in written:
        _delete_on_rollback(code, path)
    for media in rows:
        if media.is_image:
            enqueue("app.media.tasks.make_thumbnails", media.id)
    return rows


def presign_upload(filename: str, kind: str, user: Any) -> dict[str, Any]:
    """A direct-to-S3 upload URL and the token that completes it (S3 primary providers only)."""
    check_kind_allowed(kind, user)
    rules = kind_rules(current_app.config)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in rules or extension not in rules[kind].extensions:
        raise Invalid(_("This type of file is not accepted here."), {"file": ["type_not_allowed"]})
    path = f"incoming/{uuid.uuid4().hex}.{extension}"
    seconds = current_app.config["MEDIA_LINK_SECONDS"]
    presigned = storage().presigned_put(path, mime_type="application/octet-stream", seconds=seconds)
    if presigned is None:
        raise Conflict(
            _("Direct uploads need an S3 storage provider: send the file to /api/v1/media/upload.")
        )
    provider, url = presigned
    claims = {"p": path, "c": provider.code, "k": kind, "n": filename, "u": getattr(user, "id", None)}
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UPLOAD_SALT).dumps(claims)
    return {
        "upload_url": url,
        "method": "PUT",
        "content_type": "application/octet-stream",
        "token": token,
        "expires_in": seconds,
    }


def complete_upload(
    token: str, user: Any, owner_type: str | None = None, owner_id: int | None = None
) -> Media:
    """Validate a directly uploaded object like any upload; the raw object is removed either way."""
    if not token:
        raise Invalid(_("The upload token is missing."), {"token": ["required"]})
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UPLOAD_SALT)
    try:
        claims = serializer.loads(token, max_age=current_app.config["MEDIA_LINK_SECONDS"] * 4)
    except BadSignature:
        raise Forbidden(_("This upload token is not valid or has expired.")) from None
    if claims["u"] != getattr(user, "id", None):
        raise Forbidden(_("This upload token is not valid or has expired."))
    store = storage()
    try:
        data = store.read(claims["c"], claims["p"])
    except Exception:
        raise NotFound(_("The uploaded file was not found: upload it before completing.")) from None
    try:
        return upload_files([(claims["n"], data)], claims["k"], user, owner_type, owner_id)[0]
    finally:
        store.delete(claims["c"], claims["p"])


def get_media(media_id: int) -> Media:
    """A visible media row or NotFound."""
    media = db.session.get(Media, media_id, populate_existing=True)
    if media is None:
        raise NotFound()
    return media


def attach(media: Media, owner_type: str, owner_id: int, user: Any) -> Media:
    """Give a temporary upload its owner: it becomes permanent."""
    require_changeable(media, user)
    owner = targets.load_target(owner_type, owner_id)
    if not targets.can_edit(user, owner_type, owner):
        raise Forbidden(_("You may not add files to this item."))
    media.mediable_type, media.mediable_id = owner_type, owner_id
    media.is_temporary, media.expires_at = False, None
    db.session.flush()
    return media


def require_changeable(media: Media, user: Any) -> None:
    """Admins; otherwise the uploader, while the item the file belongs to (if any) lets them edit it
    (a graded submission's files stay as they were graded)."""
    if targets.is_admin(user):
        return
    if media.uploader_id != getattr(user, "id", None):
        raise Forbidden(_("Only the uploader can change this file."))
    if media.mediable_type and not media.is_temporary:
        try:
            owner = targets.load_target(media.mediable_type, media.mediable_id or 0)
        except NotFound:
            return  # its item is gone: the file is the uploader's alone
        if not targets.can_edit(user, media.mediable_type, owner):
            raise Forbidden(_("This file belongs to an item you may not change."))


def replace_file(media: Media, name: str, data: bytes, user: Any) -> Media:
    """Store a new version of a file; the old one stays in storage, listed for admins."""
    require_changeable(media, user)
    check_upload_rate()
    item = validate_files([(name, data)], media.kind)[0]
    path = _storage_path(media.kind, item.extension)
    provider = storage().write(path, item.data)
    _delete_on_rollback(provider.code, path)
    old = {
        "path": media.storage_path,
        "provider": media.provider.code,
        "sha256": media.sha256,
        "size": media.size,
        "mime_type": media.mime_type,
        "original_filename": media.original_filename,
        "replaced_at": utcnow().isoformat(),
        "replaced_by": getattr(user, "id", None),
    }
    meta = dict(media.meta or {})
    meta["versions"] = [*meta.get("versions", []), old]
    meta.pop("thumbnails", None)  # made again for the new image
    if item.exif:
        meta["exif"] = item.exif
    media.meta = meta
    media.storage_path, media.provider_id = path, lookup_id("storage_providers", provider.code)
    media.original_filename, media.extension, media.mime_type = (
        item.display_name,
        item.extension,
        item.mime_type,
    )
    media.size, media.sha256, media.width, media.height = item.size, item.sha256, item.width, item.height
    db.session.flush()
    if media.is_image:
        enqueue("app.media.tasks.make_thumbnails", media.id)
    return media


# Kinds only their uploader (and admins) may download, whatever the owner's "can view" rule says:
# a profile is visible to members, its CVs are not.
PRIVATE_KINDS = frozenset({"cv"})


def can_download(user: Any, media: Media) -> bool:
    """Admins and the uploader; otherwise the owner's own "can view" rule (never for PRIVATE_KINDS)."""
    if targets.is_admin(user) or (user is not None and media.uploader_id == getattr(user, "id", None)):
        return True
    if media.kind in PRIVATE_KINDS:
        return False
    if media.is_temporary or not media.mediable_type:
        return False
    try:
        owner = targets.load_target(media.mediable_type, media.mediable_id or 0)
    except NotFound:
        return False
    return targets.can_view(user, media.mediable_type, owner)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def issue_link(media: Media, user: Any, *, inline: bool = False, variant: str | None = None) -> str:
    """A signed, expiring download URL, issued only when the user may have the file."""
    if not can_download(user, media):
        raise Forbidden(_("You may not download this file."))
    if variant and variant not in (media.meta or {}).get("thumbnails", {}):
        raise NotFound(_("No such thumbnail."))
    token = _serializer().dumps(
        {"m": str(media.uuid), "u": getattr(user, "id", None), "i": bool(inline), "v": variant}
    )
    return url_for("media_files.download", token=token)


def resolve_link(token: str) -> tuple[Media, dict[str, Any]]:
    """The media and claims of a signed URL; expired or tampered tokens are refused."""
    try:
        claims = _serializer().loads(token, max_age=current_app.config["MEDIA_LINK_SECONDS"])
    except SignatureExpired:
        raise Forbidden(_("This download link has expired.")) from None
    except BadSignature:
        raise Forbidden(_("This download link is not valid.")) from None
    media = db.session.scalar(select(Media).where(Media.uuid == uuid.UUID(claims["m"])))
    if media is None:
        raise NotFound()
    return media, claims


# Checks other modules add before a file is served (billing: downloads per plan period); each may
# raise an AppError, and nothing is served or counted then.
DOWNLOAD_CHECKS: list[Callable[[Media, int | None], None]] = []


def check_download(media: Media, user_id: int | None) -> None:
    """Run the download checks of the modules (a thumbnail is not a download and is not checked)."""
    for check in DOWNLOAD_CHECKS:
        check(media, user_id)


def record_download(media: Media, user_id: int | None, variant: str | None) -> None:
    """Count the download atomically and audit it."""
    if variant is None:
        db.session.execute(
            update(Media.__table__)
            .where(Media.__table__.c.id == media.id)
            .values(download_count=Media.__table__.c.download_count + 1)
        )
    user = appbuilder.sm.get_user_by_id(user_id) if user_id else None
    record("downloaded", "media", media.id, description=variant or media.original_filename, user=user)
    db.session.flush()


def stored_location(media: Media, variant: str | None) -> tuple[str, str, str]:
    """(provider code, path, mime type) of the original or of a thumbnail."""
    if variant:
        thumb = (media.meta or {}).get("thumbnails", {}).get(variant)
        if not thumb:
            raise NotFound()
        return thumb["provider"], thumb["path"], "image/webp"
    return media.provider.code, media.storage_path, media.mime_type


def open_stored(code: str, path: str) -> Any:
    """A stream of a stored file; a file missing from its provider is a 404, not a crash."""
    try:
        return storage().open(code, path)
    except ResourceNotFound:
        raise NotFound(_("The file is missing from storage.")) from None


def make_thumbnails(media: Media) -> dict[str, Any]:
    """Write every configured thumbnail size once (idempotent); returns the thumbnail map."""
    if not media.is_image:
        return {}
    existing = dict((media.meta or {}).get("thumbnails", {}))
    store = storage()
    data: bytes | None = None
    for width, height in current_app.config["MEDIA_THUMBNAIL_SIZES"]:
        key = f"{width}x{height}"
        if key in existing:
            continue
        data = data or store.read(media.provider.code, media.storage_path)
        path = f"thumbs/{media.uuid.hex}_{key}.webp"
        provider = store.write(path, images.thumbnail(data, (width, height)))
        _delete_on_rollback(provider.code, path)
        existing[key] = {"path": path, "provider": provider.code}
    media.meta = {**(media.meta or {}), "thumbnails": existing}
    db.session.flush()
    return existing


def _stored_files(media: Media) -> Iterable[tuple[str, str]]:
    yield media.provider.code, media.storage_path
    for stored in [
        *(media.meta or {}).get("thumbnails", {}).values(),
        *(media.meta or {}).get("versions", []),
    ]:
        yield stored["provider"], stored["path"]


def remove_expired_temporary() -> int:
    """Delete the files of expired temporary uploads and soft delete their rows."""
    expired = db.session.scalars(
        select(Media).where(Media.is_temporary.is_(True), Media.expires_at < utcnow())
    ).all()
    store = storage()
    for media in expired:
        for code, path in _stored_files(media):
            try:
                store.delete(code, path)
            except StorageUnavailable:
                continue  # a provider no longer configured: the row still expires
        soft_delete(media)
    db.session.flush()
    return len(expired)


def sync_provider_lookups() -> None:
    """Store each configured provider's role, order and safe URL in its lookup's metadata."""
    from app.lookups.models import Lookup

    for order, provider in enumerate(storage().providers):
        row = db.session.get(Lookup, lookup_id("storage_providers", provider.code) or 0)
        if row is None:
            raise Invalid(f"Storage provider '{provider.code}' is not a storage_providers lookup.")
        settings = {"role": provider.role, "order": order, "url": provider.safe_url}
        row.meta = {**(row.meta or {}), "settings": settings}
    db.session.flush()
