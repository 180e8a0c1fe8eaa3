"""Upload validation: pure functions over a file name and its bytes (no database, no storage).

`validate_upload` refuses, with a stable `reason` code and a user-facing message, everything the
media module must never store: bad names, double extensions, types a kind does not allow, content that
does not match its extension, HTML/SVG, polyglots, active PDFs, zip and decompression bombs and malware
(the EICAR test string always; a virus scanner when one is given). Accepted images are re-encoded so
that what is stored carries no metadata and no payload hidden in the original bytes.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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


# --------------------------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class KindRule:
    """What one kind of owner accepts: extensions (lower-case, no dot) and a size limit in bytes."""

    extensions: frozenset[str]
    max_bytes: int


def _rule(extensions: str, max_bytes: int) -> KindRule:
    return KindRule(frozenset(extensions.split()), max_bytes)


DEFAULT_KINDS: dict[str, KindRule] = {
    "avatar": _rule("jpg jpeg png webp", 5 * MB),
    "course_material": _rule("pdf docx pptx xlsx zip mp4 mp3 jpg jpeg png txt", 500 * MB),
    "post_media": _rule("jpg jpeg png webp gif mp4", 50 * MB),
    "event_banner": _rule("jpg jpeg png webp", 10 * MB),
    "job_attachment": _rule("pdf doc docx", 10 * MB),
    "chat_attachment": _rule("jpg jpeg png webp gif pdf docx zip mp3 ogg m4a", 25 * MB),
    "assignment_submission": _rule("pdf docx zip jpg jpeg png txt", 100 * MB),
}

# Extension -> content family. Only these can be allowed: each has a content check below.
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

# Extensions that a web server, a browser or a desktop may execute or render: never allowed as an
# inner extension (`cv.php.pdf`) nor as the last one of a multi-extension name (`photo.jpg.exe`).
# Words that are also ordinary name parts (com, inc, msc, reg, xml, ...) are left out on purpose.
DANGEROUS_EXTENSIONS = frozenset(
    """
    exe dll scr pif cpl msi msp bat cmd hta lnk scf jar js jse mjs vbs vbe wsf wsh wsc sct ps1 psm1
    sh bash zsh csh ksh cgi pl py pyc rb swf php php2 php3 php4 php5 php6 php7 php8 phtml pht phtm
    phar phps pgif asp aspx asa ascx ashx asmx axd cshtml vbhtml jsp jspx jsw jsv jspf cfm cfml
    html htm xhtml xht shtml shtm stm mht mhtml svg svgz xsl xslt htaccess htpasswd
    """.split()  # noqa: SIM905 - a word list reads better than 80 quoted strings
)


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
        from app.media import images  # images imports this module

        processed = images.reencode(data, IMAGE_FAMILIES[family])
        stored, width, height, exif = processed.data, processed.width, processed.height, processed.exif
    elif family in ZIP_FAMILIES:
        inspect_archive(data)
        stored = data
    else:
        if family == "pdf":
            check_pdf(data)
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


# -------------------------------------------------------------------------------------------- names

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
MAX_NAME_CHARS = 255


def _bad_name(message: str) -> UploadRejected:
    return UploadRejected(message, reason="bad_name")


def _extension_token(part: str) -> str:
    """`php`, `PHP `, `php:` and fullwidth letters all read as `php`; longer phrases are not extensions."""
    token = unicodedata.normalize("NFKC", part).casefold().strip()
    return re.sub(r"[^0-9a-z]+", "", token) if len(token) <= 16 else ""


def check_name(filename: str, rule: KindRule) -> tuple[str, str]:
    """(display name, extension) of an acceptable name, else UploadRejected."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise _bad_name(gettext("The file has no name."))
    if "\x00" in name or any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise _bad_name(gettext("The file name contains invalid characters."))
    if "/" in name or "\\" in name or ".." in name:
        raise _bad_name(gettext("The file name must not contain a path."))
    if name.startswith(".") or name.endswith("."):
        raise _bad_name(gettext("The file name must not start or end with a dot."))
    if len(name) > 4 * MAX_NAME_CHARS:
        raise _bad_name(gettext("The file name is too long."))

    parts = name.split(".")
    extension = parts[-1].strip().lower() if len(parts) > 1 else ""
    if len(parts) > 2 and any(_extension_token(part) in DANGEROUS_EXTENSIONS for part in parts[1:]):
        raise UploadRejected(
            gettext("File names with several extensions, one of them executable, are not accepted."),
            reason="double_extension",
        )
    if extension not in rule.extensions or extension not in EXTENSION_FAMILY:
        allowed = ", ".join(sorted(rule.extensions))
        if extension in ("svg", "svgz"):
            message = gettext("SVG images are not accepted. Allowed types: %(allowed)s.", allowed=allowed)
        elif extension:
            message = gettext(
                "Files of type .%(extension)s are not accepted here. Allowed types: %(allowed)s.",
                extension=extension[:20],
                allowed=allowed,
            )
        else:
            message = gettext("The file name has no extension. Allowed types: %(allowed)s.", allowed=allowed)
        raise UploadRejected(message, reason="type_not_allowed")

    if len(name) > MAX_NAME_CHARS:
        name = name[: MAX_NAME_CHARS - len(extension) - 1].rstrip() + "." + extension
    return name, extension


def human_size(size: int) -> str:
    """5242880 -> '5 MB' (binary units, as the limits are written)."""
    for unit, factor in (("GB", 1024 * MB), ("MB", MB), ("KB", KB)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


def check_size(data: bytes, rule: KindRule) -> None:
    if not data:
        raise UploadRejected(gettext("The file is empty."), reason="empty")
    if len(data) > rule.max_bytes:
        raise UploadRejected(
            gettext("The file is too large: the limit is %(limit)s.", limit=human_size(rule.max_bytes)),
            reason="too_large",
            status_code=413,
        )


# ------------------------------------------------------------------------------------------ malware


def _malware() -> UploadRejected:
    return UploadRejected(gettext("The file contains a virus or a virus test signature."), reason="malware")


def check_malware_signature(data: bytes) -> None:
    """The EICAR test string anywhere in the bytes (always checked, with or without a scanner)."""
    if EICAR in data:
        raise _malware()


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


# ------------------------------------------------------------------------------------------ archives

_ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x28\xb5\x2f\xfd",  # zstd
)
_ARCHIVE_EXTENSIONS = frozenset(
    {
        "zip",
        "jar",
        "war",
        "ear",
        "apk",
        "gz",
        "tgz",
        "bz2",
        "tbz",
        "xz",
        "txz",
        "7z",
        "rar",
        "zst",
        "tar",
        "cab",
    }
)
# Documents that are zips themselves (a zip of Word files is not a nested archive).
_ZIP_DOCUMENTS = frozenset({"docx", "docm", "xlsx", "xlsm", "pptx", "pptm", "odt", "ods", "odp", "epub"})


def _zip_bomb(message: str) -> UploadRejected:
    return UploadRejected(message, reason="zip_bomb")


def _corrupt_archive() -> UploadRejected:
    return UploadRejected(gettext("The archive is damaged and cannot be read."), reason="content_mismatch")


def _unsafe_member_name(name: str) -> bool:
    path = name.replace("\\", "/")
    return (
        path.startswith("/")
        or re.match(r"^[A-Za-z]:", path) is not None
        or any(part == ".." for part in path.split("/"))
        or "\x00" in path
    )


@dataclass
class _ArchiveScan:
    upload_size: int
    entries: int = 0
    uncompressed: int = 0
    budget: int = ZIP_SCAN_BUDGET


def inspect_archive(data: bytes) -> None:
    """Zip bombs (size ratio, entry count, nesting), zip slip names, EICAR inside members."""
    _inspect_zip(data, depth=0, level=0, scan=_ArchiveScan(upload_size=len(data)))


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: _ArchiveScan) -> bytes | None:
    """A member's bytes within the scan budget (None when encrypted, unsupported or over budget)."""
    if info.flag_bits & 0x1 or info.file_size > scan.budget:
        return None
    try:
        with archive.open(info) as member:
            content = member.read(scan.budget + 1)
    except NotImplementedError:
        return None
    scan.budget -= len(content)
    return content


def _inspect_zip(data: bytes, depth: int, level: int, scan: _ArchiveScan) -> None:
    """`depth` counts archives around this one, `level` also counts office documents (a bounded walk)."""
    too_large = gettext("The archive expands to a suspiciously large size.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            scan.entries += len(infos)
            scan.uncompressed += sum(info.file_size for info in infos)
            if scan.entries > ZIP_MAX_ENTRIES:
                raise _zip_bomb(
                    gettext("The archive has too many files (more than %(count)s).", count=ZIP_MAX_ENTRIES)
                )
            expanded = scan.uncompressed
            if expanded > ZIP_MAX_UNCOMPRESSED and expanded > ZIP_MAX_RATIO * scan.upload_size:
                raise _zip_bomb(too_large)
            if any(_unsafe_member_name(info.filename) for info in infos):
                raise _zip_bomb(gettext("The archive contains unsafe file paths."))
            for info in infos:
                if info.is_dir():
                    continue
                content = _read_member(archive, info, scan)
                if content is None:
                    continue
                if EICAR in content:
                    raise _malware()
                _check_member(info.filename, content, depth, level, scan)
    except zipfile.LargeZipFile as exc:
        raise _zip_bomb(too_large) from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise _corrupt_archive() from exc


def _check_member(name: str, content: bytes, depth: int, level: int, scan: _ArchiveScan) -> None:
    """Walk into zips inside the archive; refuse archives nested deeper than ZIP_MAX_NESTING."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    is_zip = content.startswith(b"PK\x03\x04")
    is_document = is_zip and extension in _ZIP_DOCUMENTS
    is_archive = not is_document and (content.startswith(_ARCHIVE_MAGIC) or extension in _ARCHIVE_EXTENSIONS)
    depth += is_archive
    if depth > ZIP_MAX_NESTING or level + 1 > ZIP_MAX_LEVELS:
        raise _zip_bomb(gettext("The archive contains archives nested too deeply."))
    if is_zip:
        _inspect_zip(content, depth, level + 1, scan)
