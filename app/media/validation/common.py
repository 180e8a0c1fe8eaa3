"""What every upload check shares: the size limits, the UploadRejected error, KindRule, the extension
families and the EICAR test signature (checked on the upload and inside archives)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from app.core.errors import Invalid

KB = 1024
MB = 1024 * KB

# Archives: the central directory is read, nothing is extracted to disk.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 20  # declared uncompressed bytes per byte of the uploaded archive ...
ZIP_MAX_UNCOMPRESSED = 100 * MB  # ... refused only when the total is also above this
ZIP_MAX_NESTING = 1  # a zip inside the upload is fine, a zip inside that one is not
ZIP_MAX_LEVELS = 3  # zips of any sort (office documents too) walked into
ZIP_SCAN_BUDGET = 64 * MB  # member bytes decompressed (bounded) to look for malware and nested archives
PDF_SCAN_BUDGET = 32 * MB  # object-stream bytes decompressed to look for hidden actions
POLYGLOT_WINDOW = 64 * KB
SNIFF_WINDOW = 1 * KB

# Built from two halves so that this source file is not itself flagged by antivirus software.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class UploadRejected(Invalid):
    """A refused upload: 422 (413 when too large, 503 when the scanner is down) with a stable reason."""

    def __init__(self, message: Any, *, reason: str, status_code: int = 422) -> None:
        super().__init__(message, errors={"file": [str(message)]})
        self.reason = reason
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"UploadRejected({self.reason!r}, status_code={self.status_code}, message={self.message!r})"


@dataclass(frozen=True)
class KindRule:
    """What one kind of owner accepts: extensions (lower-case, no dot) and a size limit in bytes."""

    extensions: frozenset[str]
    max_bytes: int


# Extension -> content family. Only these can be allowed: each has a content check (sniffing.sniff).
EXTENSION_FAMILY: dict[str, str] = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "pdf": "pdf",
    "zip": "zip",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "doc": "doc",
    "xls": "xls",
    "ppt": "ppt",
    "mp4": "mp4",
    "m4v": "mp4",
    "mov": "mp4",
    "m4a": "mp4",
    "mp3": "mp3",
    "ogg": "ogg",
    "oga": "ogg",
    "opus": "ogg",
    "wav": "wav",
    "webm": "webm",
    "txt": "text",
    "csv": "text",
    "md": "text",
}
SUPPORTED_EXTENSIONS = frozenset(EXTENSION_FAMILY)
IMAGE_FAMILIES = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
ZIP_FAMILIES = {"zip", "docx", "xlsx", "pptx"}


# ------------------------------------------------------------------------------------------ malware


def _malware() -> UploadRejected:
    return UploadRejected(gettext("The file contains a virus or a virus test signature."), reason="malware")


def check_malware_signature(data: bytes) -> None:
    """The EICAR test string anywhere in the bytes (always checked, with or without a scanner)."""
    if EICAR in data:
        raise _malware()
