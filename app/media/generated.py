"""Files the platform makes itself (certificate and invoice PDFs), kept in the media library as the
file of the row they belong to."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from app.extensions import db
from app.lookups.services import lookup_id
from app.media.models import Media
from app.media.services import _delete_on_rollback, _storage_path, storage


def store_generated(
    data: bytes, *, filename: str, kind: str, mime_type: str, owner_type: str, owner_id: int
) -> Media:
    """Keep a file the platform made (a certificate's or an invoice's PDF) as the owner's media row
    (flushed, for the caller to commit): stored under a random path, and removed again if the row
    cannot be written or is rolled back."""
    extension = filename.rsplit(".", 1)[-1].lower()
    path = _storage_path(kind, extension)
    provider = storage().write(path, data)
    try:
        row = Media(
            original_filename=filename,
            storage_path=path,
            provider_id=lookup_id("storage_providers", provider.code),
            kind=kind,
            mime_type=mime_type,
            extension=extension,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            meta={},
            uploader_id=None,
            is_temporary=False,
            mediable_type=owner_type,
            mediable_id=owner_id,
        )
        with db.session.begin_nested():  # a refused row undoes only itself, not the caller's work
            db.session.add(row)
    except Exception:
        storage().delete(provider.code, path)  # no row, no file
        raise
    _delete_on_rollback(provider.code, path)
    return row


def generated_once(
    row: Any,
    lock: Callable[[Any], Any],
    make: Callable[[Any], bytes],
    *,
    filename: Callable[[Any], str],
    kind: str,
    mime_type: str = "application/pdf",
) -> Media:
    """A row's generated file (its `media_id`), made once: `lock` re-reads the row under a lock, so
    concurrent callers wait (until the first one's transaction commits) and reuse the first file
    instead of making a second one. Flushes only: the caller commits."""
    current = lock(row)
    if current.media_id is not None:
        existing = db.session.get(Media, current.media_id)
        if existing is not None:
            return existing
    stored = store_generated(
        make(current),
        filename=filename(current),
        kind=kind,
        mime_type=mime_type,
        owner_type=kind,
        owner_id=current.id,
    )
    current.media_id = stored.id
    db.session.flush()
    return stored
