"""Polyglots (a script, a zip or a PDF hidden in or after an image or a document) and active PDFs."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

from flask_babel import gettext

from app.media.validation.common import IMAGE_FAMILIES, PDF_SCAN_BUDGET, POLYGLOT_WINDOW, UploadRejected

# ---------------------------------------------------------------------------------------- polyglots

_PAYLOAD = re.compile(
    rb"<script|<\?php|javascript:|vbscript:|<html|<iframe|<body[\s>]|<svg[\s>]|<object[\s>]|<embed[\s>]",
    re.IGNORECASE,
)
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 65_557  # a zip reader looks for its end record this far from the end


def _polyglot() -> UploadRejected:
    return UploadRejected(
        gettext("The file hides another file or a script inside it and cannot be accepted."),
        reason="polyglot",
    )


def _jpeg_end(data: bytes) -> int | None:
    """Offset just after the EOI marker of the main JPEG image (None when it cannot be parsed)."""
    size, pos = len(data), 2
    while pos < size:
        if data[pos] != 0xFF:
            return None
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if pos + 2 > size:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return None
        pos += length
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= size:
                    return None
                follower = data[pos + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7:
                    pos += 2
                elif follower == 0xFF:
                    pos += 1
                else:
                    break
    return None


def _png_end(data: bytes) -> int | None:
    pos, size = 8, len(data)
    while pos + 8 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= size else None
    return None


def _webp_end(data: bytes) -> int | None:
    length = int.from_bytes(data[4:8], "little")
    return 8 + length + (length & 1)


def image_end(data: bytes, family: str) -> int | None:
    """Where the image ends: anything after it is not part of the picture."""
    finder = {"jpeg": _jpeg_end, "png": _png_end, "webp": _webp_end}.get(family)
    return finder(data) if finder else None


def check_polyglot(data: bytes, family: str) -> None:
    """A script/HTML/PHP payload in the first 64 KB or after the image end, or a zip hidden at the end."""
    if _PAYLOAD.search(data, 0, POLYGLOT_WINDOW):
        raise _polyglot()
    if _ZIP_END in data[-_ZIP_TAIL:]:
        raise _polyglot()  # readable as a zip/jar too (GIFAR and friends)
    end = image_end(data, family) if family in IMAGE_FAMILIES else None
    if end is not None and end < len(data):
        trailer = data[end:]
        if _PAYLOAD.search(trailer) or b"PK\x03\x04" in trailer or b"%PDF-" in trailer:
            raise _polyglot()


# ---------------------------------------------------------------------------------------------- PDF

PDF_ACTIVE_NAMES = frozenset(
    {"javascript", "js", "launch", "embeddedfile", "embeddedfiles", "richmedia", "gotoe"}
)
_PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9_.+-]|#[0-9A-Fa-f]{2})+)")
_PDF_STREAM = re.compile(rb"(?<![A-Za-z])stream\r?\n")


def _pdf_active() -> UploadRejected:
    return UploadRejected(
        gettext("PDF files with scripts, launch actions or embedded files are not accepted."),
        reason="pdf_active_content",
    )


def _pdf_segments(data: bytes) -> Iterator[tuple[bytes, memoryview | None]]:
    """(text before a stream, the stream body) pairs; the last pair has no body.

    Stream bodies are binary (images, fonts, compressed pages) and are not searched for names, or random
    bytes would match; object streams, which hold dictionaries, are decompressed by the caller.
    """
    pos, view = 0, memoryview(data)
    while True:
        match = _PDF_STREAM.search(data, pos)
        if match is None:
            yield data[pos:], None
            return
        end = data.find(b"endstream", match.end())
        if end < 0:
            yield data[pos : match.start()], view[match.end() :]
            return
        yield data[pos : match.start()], view[match.end() : end]
        pos = end + len(b"endstream")


def _pdf_names(text: bytes) -> set[str]:
    names = set()
    for match in _PDF_NAME.finditer(text):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        names.add(raw.decode("latin-1").lower())
    return names


def check_pdf(data: bytes) -> None:
    """Refuse JavaScript, launch actions, embedded files and rich media (also inside object streams)."""
    budget = PDF_SCAN_BUDGET
    for text, body in _pdf_segments(data):
        names = _pdf_names(text)
        if names & PDF_ACTIVE_NAMES or b"javascript:" in text.lower():
            raise _pdf_active()
        dictionary = _pdf_names(text[-2048:])
        if body is None or "objstm" not in dictionary or budget <= 0:
            continue
        try:
            inflated = zlib.decompressobj().decompress(body, budget)
        except zlib.error:
            continue  # encrypted or unusual filters: left to the virus scanner
        budget -= len(inflated)
        if _pdf_names(inflated) & PDF_ACTIVE_NAMES or b"javascript:" in inflated.lower():
            raise _pdf_active()


# ----------------------------------------------------------------------------------- Office macros

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The VBA storage of Word (Macros/VBA/_VBA_PROJECT) and Excel (_VBA_PROJECT_CUR), named in UTF-16.
_OLE2_VBA = "_VBA_PROJECT".encode("utf-16-le")


def office_macros() -> UploadRejected:
    """The refusal of a macro-enabled Office file."""
    return UploadRejected(gettext("Office files with macros are not accepted."), reason="office_macros")


def is_macro_part(name: str) -> bool:
    """A zip member holding a VBA project (`word/vbaProject.bin`, `xl/vbaProject.bin`...)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower().startswith("vbaproject")


def check_office_macros(data: bytes) -> None:
    """Refuse a legacy (OLE2) Office file with a VBA project, whatever its extension."""
    if data.startswith(_OLE2) and _OLE2_VBA in data:
        raise office_macros()
