"""Content checks: HTML/SVG markup refused whatever the extension, and the magic numbers that must match
the extension's family (OOXML documents are opened to find their main part)."""

from __future__ import annotations

import codecs
import io
import re
import zipfile

from flask_babel import gettext

from app.media.validation.common import MB, SNIFF_WINDOW, UploadRejected

# ----------------------------------------------------------------------------------- markup (HTML)

# The WHATWG MIME sniffing standard's HTML patterns: each followed by a space or '>'.
_HTML_TAGS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
)
_TAG_END = b" \t\n\r\x0c>/"


def _leading_text(data: bytes) -> bytes:
    """The first KB as lower-case ASCII-ish bytes, without a BOM and leading whitespace."""
    head = data[: SNIFF_WINDOW * 2]
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom) :].decode(encoding, errors="replace").encode("utf-8", errors="replace")
            break
    else:
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
    return head.lstrip(b" \t\r\n\x0c")[:SNIFF_WINDOW].lower()


def check_markup(data: bytes) -> None:
    """SVG (the classic script carrier) and HTML are refused whatever the file claims to be."""
    head = _leading_text(data)
    is_xml = head.startswith(b"<?xml")
    if head.startswith((b"<svg", b"<!doctype svg")) or (is_xml and re.search(rb"<svg[\s>]", head)):
        raise UploadRejected(
            gettext("SVG images are not accepted: they can carry scripts."), reason="script_in_svg"
        )
    looks_html = any(
        head.startswith(tag) and len(head) > len(tag) and head[len(tag)] in _TAG_END for tag in _HTML_TAGS
    )
    if looks_html or (is_xml and re.search(rb"<html[\s>]|<!doctype html|xhtml", head)):
        raise UploadRejected(gettext("Web pages (HTML) are not accepted as files."), reason="html_content")


# --------------------------------------------------------------------------------- content sniffing

OOXML_MAIN_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
MIME_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "webm": "video/webm",
    "text": "text/plain",
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_STREAMS = {
    "doc": ("WordDocument",),
    "xls": ("Workbook", "Book"),
    "ppt": ("PowerPoint Document",),
}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}


def _mismatch(extension: str) -> UploadRejected:
    return UploadRejected(
        gettext("The content of the file does not match its .%(extension)s extension.", extension=extension),
        reason="content_mismatch",
    )


def _mp3_frame_ok(header: bytes) -> bool:
    """An MPEG audio frame header: sync, a real version and layer, a usable bitrate and sample rate."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _id3_ok(data: bytes) -> bool:
    if len(data) < 10 or not data.startswith(b"ID3") or data[3] not in (2, 3, 4):
        return False
    return all(byte < 0x80 for byte in data[6:10])  # sync-safe size


def _is_text(data: bytes) -> bool:
    """Valid UTF-8 (BOM allowed) without NUL; decoded in chunks, never as one huge string."""
    if b"\x00" in data:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), MB):
            decoder.decode(data[start : start + MB], final=start + MB >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def _ooxml_ok(data: bytes, family: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False
    prefix = OOXML_MAIN_PART[family]
    return "[Content_Types].xml" in names and any(name.startswith(prefix) for name in names)


def sniff(family: str, extension: str, data: bytes) -> str:
    """The MIME type read from the magic numbers, when they match the extension's family."""
    mime: str | None = None
    if family == "jpeg" and data.startswith(b"\xff\xd8\xff"):
        mime = MIME_TYPES["jpeg"]
    elif family == "png" and data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = MIME_TYPES["png"]
    elif family == "gif" and data[:6] in (b"GIF87a", b"GIF89a"):
        mime = MIME_TYPES["gif"]
    elif family == "webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = MIME_TYPES["webp"]
    elif family == "pdf" and data.startswith(b"%PDF-"):
        mime = MIME_TYPES["pdf"]
    elif family == "zip" and data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        mime = MIME_TYPES["zip"]
    elif family in OOXML_MAIN_PART and data[:4] == b"PK\x03\x04" and _ooxml_ok(data, family):
        mime = MIME_TYPES[family]
    elif family in _OLE2_STREAMS and data.startswith(_OLE2):
        streams = [name.encode("utf-16-le") for name in _OLE2_STREAMS[family]]
        mime = MIME_TYPES[family] if any(stream in data for stream in streams) else None
    elif family == "mp4" and data[4:8] == b"ftyp" and len(data) >= 12:
        brand = data[8:12]
        if brand == b"qt  ":
            mime = "video/quicktime"
        elif brand in _AUDIO_BRANDS or extension == "m4a":
            mime = "audio/mp4"
        else:
            mime = "video/mp4"
    elif family == "mp3" and (_id3_ok(data) or _mp3_frame_ok(data[:4])):
        mime = MIME_TYPES["mp3"]
    elif family == "ogg" and data.startswith(b"OggS"):
        mime = "video/ogg" if b"\x80theora" in data[:SNIFF_WINDOW] else "audio/ogg"
    elif family == "wav" and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        mime = MIME_TYPES["wav"]
    elif family == "webm" and data.startswith(b"\x1a\x45\xdf\xa3"):
        mime = MIME_TYPES["webm"]
    elif family == "text" and _is_text(data):
        mime = MIME_TYPES["text"]
    if mime is None:
        raise _mismatch(extension)
    return mime
