"""Zip archives and zip-based documents (OOXML): the central directory and members are read in memory,
nothing is extracted to disk. Bombs (ratio, entry count, nesting), zip slip names, EICAR in members."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from flask_babel import gettext

from app.media.validation.common import (
    EICAR,
    ZIP_MAX_ENTRIES,
    ZIP_MAX_LEVELS,
    ZIP_MAX_NESTING,
    ZIP_MAX_RATIO,
    ZIP_MAX_UNCOMPRESSED,
    ZIP_SCAN_BUDGET,
    UploadRejected,
    _malware,
)
from app.media.validation.documents import check_office_macros, is_macro_part, office_macros

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
    except NotImplementedError:  # a compression method zipfile cannot read: left to the virus scanner
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
            # Macro-enabled Office files (also renamed .docx/.xlsx/.pptx, or inside a zip).
            if any(is_macro_part(info.filename) for info in infos):
                raise office_macros()
            for info in infos:
                if info.is_dir():
                    continue
                content = _read_member(archive, info, scan)
                if content is None:
                    continue
                if EICAR in content:
                    raise _malware()
                check_office_macros(content)
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
