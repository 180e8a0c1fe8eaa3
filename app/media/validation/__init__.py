"""Upload validation: pure functions over a file name and its bytes (no database, no storage).

`validate_upload` refuses, with a stable `reason` code and a user-facing message, everything the
media module must never store: bad names, double extensions, types a kind does not allow, content that
does not match its extension, HTML/SVG, polyglots, active PDFs, zip and decompression bombs and malware
(the EICAR test string always; a virus scanner when one is given). Accepted images are re-encoded so
that what is stored carries no metadata and no payload hidden in the original bytes.

The checks live in submodules: `common` (limits, UploadRejected, KindRule, extension families, EICAR),
`names` (name, extension and size), `sniffing` (markup and magic numbers), `documents` (polyglots and
PDF) and `archives` (zips and OOXML documents). Import from this package, not from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from app.media.validation.archives import inspect_archive
from app.media.validation.common import (
    EICAR,
    EXTENSION_FAMILY,
    IMAGE_FAMILIES,
    KB,
    MB,
    PDF_SCAN_BUDGET,
    POLYGLOT_WINDOW,
    SNIFF_WINDOW,
    SUPPORTED_EXTENSIONS,
    ZIP_FAMILIES,
    ZIP_MAX_ENTRIES,
    ZIP_MAX_LEVELS,
    ZIP_MAX_NESTING,
    ZIP_MAX_RATIO,
    ZIP_MAX_UNCOMPRESSED,
    ZIP_SCAN_BUDGET,
    KindRule,
    UploadRejected,
    check_malware_signature,
)
from app.media.validation.documents import (
    PDF_ACTIVE_NAMES,
    check_office_macros,
    check_pdf,
    check_polyglot,
    image_end,
)
from app.media.validation.names import (
    DANGEROUS_EXTENSIONS,
    MAX_NAME_CHARS,
    check_name,
    check_size,
    human_size,
)
from app.media.validation.sniffing import MIME_TYPES, OOXML_MAIN_PART, check_markup, sniff

__all__ = [
    "DANGEROUS_EXTENSIONS",
    "DEFAULT_KINDS",
    "EICAR",
    "EXTENSION_FAMILY",
    "IMAGE_FAMILIES",
    "KB",
    "MAX_NAME_CHARS",
    "MB",
    "MIME_TYPES",
    "OOXML_MAIN_PART",
    "PDF_ACTIVE_NAMES",
    "PDF_SCAN_BUDGET",
    "POLYGLOT_WINDOW",
    "SNIFF_WINDOW",
    "SUPPORTED_EXTENSIONS",
    "ZIP_FAMILIES",
    "ZIP_MAX_ENTRIES",
    "ZIP_MAX_LEVELS",
    "ZIP_MAX_NESTING",
    "ZIP_MAX_RATIO",
    "ZIP_MAX_UNCOMPRESSED",
    "ZIP_SCAN_BUDGET",
    "KindRule",
    "UploadRejected",
    "ValidatedUpload",
    "check_malware_signature",
    "check_markup",
    "check_name",
    "check_pdf",
    "check_polyglot",
    "check_size",
    "human_size",
    "image_end",
    "inspect_archive",
    "kind_rules",
    "sniff",
    "validate_upload",
]

# --------------------------------------------------------------------------------------------- kinds


def _rule(extensions: str, max_bytes: int) -> KindRule:
    return KindRule(frozenset(extensions.split()), max_bytes)


DEFAULT_KINDS: dict[str, KindRule] = {
    "avatar": _rule("jpg jpeg png webp", 5 * MB),
    "course_material": _rule("pdf docx pptx xlsx zip mp4 mp3 jpg jpeg png txt", 500 * MB),
    "post_media": _rule("jpg jpeg png webp gif mp4", 50 * MB),
    "event_banner": _rule("jpg jpeg png webp", 10 * MB),
    "job_attachment": _rule("pdf doc docx", 10 * MB),
    # A learner's CVs on their profile (app.media.cvs): only they (and admins) ever download them.
    "cv": _rule("pdf doc docx", 10 * MB),
    "chat_attachment": _rule("jpg jpeg png webp gif pdf docx zip mp3 ogg m4a", 25 * MB),
    "assignment_submission": _rule("pdf docx zip jpg jpeg png txt", 100 * MB),
    # The kind of an upload that names none: common documents and images.
    "attachment": _rule("pdf docx xlsx pptx zip jpg jpeg png webp txt", 25 * MB),
}


def kind_rules(config: Mapping[str, Any]) -> dict[str, KindRule]:
    """DEFAULT_KINDS, overridden (per kind, per field) or extended by `config["MEDIA_KINDS"]`.

    `MEDIA_KINDS = {"avatar": {"extensions": ["jpg", "png"], "max_bytes": 2097152}, ...}`. An extension
    without a content check, or a bad size, is a configuration error (ValueError), never a silent hole.
    """
    rules = dict(DEFAULT_KINDS)
    for kind, override in (config.get("MEDIA_KINDS") or {}).items():
        base = rules.get(kind)
        if base is None and not {"extensions", "max_bytes"} <= set(override):
            raise ValueError(f"MEDIA_KINDS[{kind!r}] is a new kind: give both 'extensions' and 'max_bytes'")
        extensions = base.extensions if base else frozenset()
        if "extensions" in override:
            extensions = frozenset(str(ext).strip().lower().lstrip(".") for ext in override["extensions"])
        unsupported = sorted(extensions - SUPPORTED_EXTENSIONS)
        if unsupported:
            raise ValueError(f"MEDIA_KINDS[{kind!r}]: no content check for {', '.join(unsupported)}")
        max_bytes = override.get("max_bytes", base.max_bytes if base else 0)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
            raise ValueError(f"MEDIA_KINDS[{kind!r}]: max_bytes must be a positive integer")
        rules[kind] = KindRule(extensions, max_bytes)
    return rules


# ------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ValidatedUpload:
    """An accepted upload: the bytes to store (images re-encoded) and what was learned about them."""

    data: bytes
    display_name: str
    extension: str
    mime_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    exif: dict[str, Any] = field(default_factory=dict)


def validate_upload(
    filename: str,
    data: bytes,
    kind: str,
    *,
    rules: Mapping[str, KindRule] | None = None,
    scanner: Callable[[bytes], None] | None = None,
) -> ValidatedUpload:
    """Check one upload for `kind`; return what to store, or raise UploadRejected."""
    rules = DEFAULT_KINDS if rules is None else rules
    rule = rules.get(kind)
    if rule is None:
        raise UploadRejected(gettext("This kind of upload is not supported."), reason="unknown_kind")

    display_name, extension = check_name(filename, rule)
    data = bytes(data)
    check_size(data, rule)
    check_malware_signature(data)
    check_markup(data)
    family = EXTENSION_FAMILY[extension]
    mime_type = sniff(family, extension, data)

    width = height = None
    exif: dict[str, Any] = {}
    if family in IMAGE_FAMILIES:
        check_polyglot(data, family)
        from app.media import images  # images imports this package

        processed = images.reencode(data, IMAGE_FAMILIES[family])
        stored, width, height, exif = processed.data, processed.width, processed.height, processed.exif
    elif family in ZIP_FAMILIES:
        inspect_archive(data)
        stored = data
    else:
        if family == "pdf":
            check_pdf(data)
        check_office_macros(data)
        if family != "text" and family not in ("doc", "xls", "ppt"):
            check_polyglot(data, family)
        stored = data

    if scanner is not None:
        scanner(data)
    return ValidatedUpload(
        data=stored,
        display_name=display_name,
        extension=extension,
        mime_type=mime_type,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        width=width,
        height=height,
        exif=exif,
    )
