"""Upload validation, image processing and the clamd client: pure functions, no database.

The corpus in tests/data/malicious/ (one attack a file, reasons in its MANIFEST.json) must be refused
file by file; tests/data/good/ must be accepted. Regenerate both with tests/data/make_corpus.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import socketserver
import struct
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.core.errors import Invalid
from app.media import images
from app.media.scanning import clamd_scanner, scanner_from_config
from app.media.validation import (
    DEFAULT_KINDS,
    EICAR,
    MB,
    KindRule,
    UploadRejected,
    ValidatedUpload,
    kind_rules,
    validate_upload,
)

DATA = Path(__file__).resolve().parents[1] / "data"
MALICIOUS = DATA / "malicious"
GOOD = DATA / "good"
MALICIOUS_MANIFEST: dict[str, dict[str, Any]] = json.loads((MALICIOUS / "MANIFEST.json").read_text("utf-8"))
GOOD_MANIFEST: dict[str, dict[str, Any]] = json.loads((GOOD / "MANIFEST.json").read_text("utf-8"))


def corpus(directory: Path) -> list[str]:
    return sorted(
        path.name for path in directory.iterdir() if path.is_file() and path.name != "MANIFEST.json"
    )


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB", **options: Any) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def rejected(name: str, data: bytes, kind: str, **kwargs: Any) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        validate_upload(name, data, kind, **kwargs)
    return caught.value


# ------------------------------------------------------------------------------------------- corpus


def test_corpus_is_complete_and_described() -> None:
    files = corpus(MALICIOUS)
    assert len(files) >= 20
    assert set(files) == set(MALICIOUS_MANIFEST), "every corpus file needs a manifest entry, and only those"
    assert set(corpus(GOOD)) == set(GOOD_MANIFEST)
    for path in [*MALICIOUS.iterdir(), *GOOD.iterdir()]:
        assert path.stat().st_size < 2 * MB, path.name
    for name in corpus(GOOD):
        assert (GOOD / name).stat().st_size < 50 * 1024, name


@pytest.mark.parametrize("filename", corpus(MALICIOUS))
def test_malicious_file_is_rejected(filename: str) -> None:
    entry = MALICIOUS_MANIFEST[filename]
    error = rejected(entry.get("name", filename), (MALICIOUS / filename).read_bytes(), entry["kind"])
    assert error.reason == entry["reason"], error.message
    assert error.status_code == (413 if entry["reason"] == "too_large" else 422)
    assert error.errors == {"file": [error.message]} and error.message


def test_hidden_attacks_are_really_hidden() -> None:
    """The corpus files that test deep checks do not give themselves away in their raw bytes."""

    def raw(name: str) -> bytes:
        return (MALICIOUS / name).read_bytes()

    assert b"JavaScript" not in raw("pdf_obfuscated_javascript.pdf")
    assert b"JavaScript" not in raw("pdf_javascript_in_object_stream.pdf")
    assert EICAR not in raw("eicar_deflated_in.zip") and EICAR not in raw("eicar_in_nested.zip")
    assert (MALICIOUS / "zip_bomb.zip").stat().st_size < 10_000
    with zipfile.ZipFile(MALICIOUS / "zip_bomb.zip") as archive:
        assert sum(info.file_size for info in archive.infolist()) > 100 * MB


@pytest.mark.parametrize("filename", corpus(GOOD))
def test_good_file_is_accepted(filename: str) -> None:
    entry = GOOD_MANIFEST[filename]
    original = (GOOD / filename).read_bytes()
    upload = validate_upload(filename, original, entry["kind"])
    assert isinstance(upload, ValidatedUpload)
    assert upload.mime_type == entry["mime"]
    assert upload.display_name == filename
    assert upload.extension == filename.rsplit(".", 1)[1]
    assert upload.size == len(upload.data)
    assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
    json.dumps(upload.exif)  # JSON-safe
    if "width" in entry:
        assert (upload.width, upload.height) == (entry["width"], entry["height"])
        assert upload.data != original, "images are re-encoded"
        stored = Image.open(io.BytesIO(upload.data))
        assert stored.format == Image.open(io.BytesIO(original)).format
        assert stored.size == (upload.width, upload.height)
        assert not stored.getexif(), "no EXIF in the stored image"
        assert b"Exif\x00\x00" not in upload.data and b"eXIf" not in upload.data
        assert b"LMS Camera" not in upload.data and b"taken on a trip" not in upload.data
        assert b"Author" not in upload.data  # PNG text chunk
    else:
        assert upload.data == original and upload.width is None and upload.height is None


def test_exif_is_read_before_stripping_and_orientation_applied() -> None:
    original = (GOOD / "photo_orientation6.jpg").read_bytes()
    assert Image.open(io.BytesIO(original)).size == (80, 40)
    upload = validate_upload("صورة الملف الشخصي.jpg", original, "avatar")
    assert (upload.width, upload.height) == (40, 80)
    assert Image.open(io.BytesIO(upload.data)).size == (40, 80)  # pixels turned, not just a tag
    assert upload.exif["Make"] == "LMS Camera"
    assert upload.exif["Orientation"] == 6
    assert upload.exif["DateTimeOriginal"] == "2024:05:01 10:00:00"
    assert upload.exif["GPSLatitude"] == pytest.approx(24.71)
    assert upload.exif["GPSLongitude"] == pytest.approx(46.675)
    assert all(isinstance(value, str | int | float) for value in upload.exif.values())
    assert upload.display_name == "صورة الملف الشخصي.jpg"


def test_animated_gif_keeps_its_frames() -> None:
    upload = validate_upload("dance.gif", (GOOD / "animation.gif").read_bytes(), "post_media")
    stored = Image.open(io.BytesIO(upload.data))
    assert stored.n_frames == 3


# ------------------------------------------------------------------------------------ names, sizes


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "bad_name"),
        ("   ", "bad_name"),
        ("a\x07b.txt", "bad_name"),
        ("dir/file.txt", "bad_name"),
        ("C:\\Users\\me\\file.txt", "bad_name"),
        ("..txt", "bad_name"),
        ("my..notes.txt", "bad_name"),
        (".env", "bad_name"),
        ("notes.txt.", "bad_name"),
        ("x" * 2000 + ".txt", "bad_name"),
        ("cv.php.txt", "double_extension"),
        ("photo.txt.exe", "double_extension"),
        ("x.exe.txt", "double_extension"),
        ("a.html.txt", "double_extension"),
        ("shell.php:.txt", "double_extension"),
        ("shell.\uff50\uff48\uff50.txt", "double_extension"),  # fullwidth "php"
        ("run.sh", "type_not_allowed"),
        ("logo.svg", "type_not_allowed"),
        ("README", "type_not_allowed"),
        ("archive.tar.gz", "type_not_allowed"),
    ],
)
def test_bad_names(name: str, reason: str) -> None:
    assert rejected(name, b"plain text\n", "course_material").reason == reason


@pytest.mark.parametrize(
    "name",
    [
        "report.v2.final.txt",
        "ملاحظات.txt",
        "NOTES.TXT",
        "Intro to JS.txt",
        " a.txt ",
        "google.com.txt",
        "Acme.Inc.txt",
        "Thesis.MSc.txt",
    ],
)
def test_ordinary_names_pass(name: str) -> None:
    upload = validate_upload(name, b"plain text\n", "course_material")
    assert upload.extension == "txt"
    assert upload.display_name == name.strip()


def test_display_name_is_nfc_and_at_most_255_characters() -> None:
    decomposed = "cafe\u0301.txt"
    assert validate_upload(decomposed, b"x", "course_material").display_name == "café.txt"
    long_name = "م" * 600 + ".txt"
    display = validate_upload(long_name, b"x", "course_material").display_name
    assert len(display) == 255 and display.endswith(".txt")


def test_unknown_kind() -> None:
    assert rejected("a.txt", b"x", "spaceship").reason == "unknown_kind"


def test_oversized_file_is_413() -> None:
    data = b"\xff\xd8\xff" + b"\x00" * (5 * MB)  # the size is checked before the content
    error = rejected("big.jpg", data, "avatar")
    assert (error.reason, error.status_code) == ("too_large", 413)
    assert "5 MB" in error.message


def test_limits_and_types_come_from_configuration() -> None:
    rules = kind_rules(
        {"MEDIA_KINDS": {"avatar": {"max_bytes": 100}, "badge": {"extensions": [".PNG"], "max_bytes": 10}}}
    )
    assert rules["avatar"] == KindRule(DEFAULT_KINDS["avatar"].extensions, 100)
    assert rules["badge"] == KindRule(frozenset({"png"}), 10)
    assert rules["job_attachment"] == DEFAULT_KINDS["job_attachment"]
    png = image_bytes((64, 64))
    assert len(png) > 100
    assert rejected("a.png", png, "avatar", rules=rules).reason == "too_large"
    assert rejected("a.jpg", png, "badge", rules=rules).reason == "type_not_allowed"
    assert kind_rules({}) == DEFAULT_KINDS
    with pytest.raises(ValueError, match="svg"):
        kind_rules({"MEDIA_KINDS": {"avatar": {"extensions": ["svg"]}}})
    with pytest.raises(ValueError):
        kind_rules({"MEDIA_KINDS": {"avatar": {"max_bytes": 0}}})
    with pytest.raises(ValueError):
        kind_rules({"MEDIA_KINDS": {"sticker": {"extensions": ["png"]}}})


def test_default_kinds() -> None:
    assert DEFAULT_KINDS["avatar"] == KindRule(frozenset({"jpg", "jpeg", "png", "webp"}), 5 * MB)
    assert DEFAULT_KINDS["job_attachment"].extensions == {"pdf", "doc", "docx"}
    assert DEFAULT_KINDS["cv"] == KindRule(frozenset({"pdf", "doc", "docx"}), 10 * MB)
    assert DEFAULT_KINDS["course_material"].max_bytes == 500 * MB
    assert set(DEFAULT_KINDS) == {
        "avatar",
        "course_material",
        "post_media",
        "event_banner",
        "job_attachment",
        "cv",
        "chat_attachment",
        "assignment_submission",
        "attachment",
    }


def test_upload_rejected_is_an_invalid_error() -> None:
    error = UploadRejected("Nope", reason="empty")
    assert isinstance(error, Invalid)
    assert (error.status_code, error.message, error.errors, error.reason) == (
        422,
        "Nope",
        {"file": ["Nope"]},
        "empty",
    )


# ------------------------------------------------------------------------------- deeper behaviours


def test_deflate_zip_bomb_built_in_the_test_is_refused() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w") as member,
    ):
        chunk = bytes(MB)
        for _ in range(101):
            member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 200_000
    assert rejected("backup.zip", data, "assignment_submission").reason == "zip_bomb"


def test_large_but_honest_archive_is_accepted() -> None:
    """20 x ratio is not enough on its own: a small, very compressible archive is fine."""
    data = zipfile_bytes([("zeros.bin", bytes(5 * MB)), ("inner.zip", zipfile_bytes([("a.txt", b"a")]))])
    assert validate_upload("backup.zip", data, "assignment_submission").mime_type == "application/zip"


def zipfile_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_payload_after_the_image_end_is_found_beyond_64_kb() -> None:
    jpeg = image_bytes((32, 32), "JPEG")
    padding = b"\x00" * (70 * 1024)
    assert rejected("a.jpg", jpeg + padding + b"<?php eval($_POST[1]); ?>", "avatar").reason == "polyglot"
    png = image_bytes((32, 32))
    assert rejected("a.png", png + padding + b"<script>x()</script>", "avatar").reason == "polyglot"
    archive = zipfile_bytes([("Evil.class", b"\xca\xfe\xba\xbe")])
    assert (
        rejected("a.jpg", jpeg + archive + padding, "avatar").reason == "polyglot"
    )  # end record not at the end
    assert rejected("a.png", png + padding + b"%PDF-1.7\n", "avatar").reason == "polyglot"


def test_harmless_trailer_after_the_image_is_accepted_and_dropped() -> None:
    """Phones append data after the JPEG (motion photos): allowed, and gone after re-encoding."""
    jpeg = image_bytes((32, 32), "JPEG")
    trailer = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 300
    upload = validate_upload("motion.jpg", jpeg + trailer, "avatar")
    assert trailer not in upload.data


def test_binary_pdf_streams_do_not_look_like_actions() -> None:
    """Names are only read outside stream data: random stream bytes spelling '/JS ' are fine."""
    content = b"\x00\x01/JS /Launch <script" + bytes(range(256))
    body = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n" + body + b"\nendobj\n%%EOF\n"
    pdf = pdf.replace(b"<script", b"<scr1pt")  # the 64 KB polyglot window is a separate rule
    assert validate_upload("doc.pdf", pdf, "job_attachment").mime_type == "application/pdf"


def test_eicar_is_always_refused_and_the_scanner_is_called_otherwise() -> None:
    seen: list[bytes] = []
    assert rejected("eicar.txt", EICAR, "course_material", scanner=seen.append).reason == "malware"
    assert seen == []
    validate_upload("ok.txt", b"clean", "course_material", scanner=seen.append)
    assert seen == [b"clean"]


def test_scanner_rejection_propagates() -> None:
    def scanner(data: bytes) -> None:
        raise UploadRejected("infected", reason="malware")

    assert rejected("ok.txt", b"clean", "course_material", scanner=scanner).reason == "malware"


# ------------------------------------------------------------------------------------------ images


def test_thumbnail_fits_the_box_keeps_the_ratio_and_never_enlarges() -> None:
    data = image_bytes((400, 200), "JPEG")
    thumb = Image.open(io.BytesIO(images.thumbnail(data, (128, 128))))
    assert (thumb.format, thumb.size) == ("WEBP", (128, 64))
    small = Image.open(io.BytesIO(images.thumbnail(image_bytes((50, 30)), (128, 128), fmt="PNG")))
    assert (small.format, small.size) == ("PNG", (50, 30))
    transparent = image_bytes((64, 64), "PNG", mode="RGBA")
    assert Image.open(io.BytesIO(images.thumbnail(transparent, (32, 32), fmt="JPEG"))).size == (32, 32)


def test_thumbnail_of_a_rotated_photo_is_upright() -> None:
    photo = (GOOD / "photo_orientation6.jpg").read_bytes()
    assert images.image_size(photo) == (40, 80)
    assert Image.open(io.BytesIO(images.thumbnail(photo, (20, 20)))).size == (10, 20)


def test_resize() -> None:
    data = image_bytes((300, 150))
    assert Image.open(io.BytesIO(images.resize(data, 100))).size == (100, 50)
    resized = Image.open(io.BytesIO(images.resize(data, 30, 40)))
    assert (resized.format, resized.size) == ("PNG", (30, 40))
    for width, height in [(0, 10), (-5, None), (10, 0), (30_000, 10)]:
        with pytest.raises(Invalid):
            images.resize(data, width, height)


def test_crop() -> None:
    data = image_bytes((100, 80), "JPEG")
    cropped = Image.open(io.BytesIO(images.crop(data, (10, 20, 60, 70))))
    assert (cropped.format, cropped.size) == ("JPEG", (50, 50))
    assert Image.open(io.BytesIO(images.crop(data, (0, 0, 100, 80)))).size == (100, 80)
    for box in [
        (0, 0, 101, 80),
        (-1, 0, 10, 10),
        (10, 10, 10, 20),
        (50, 0, 40, 10),
        (0, 0, 10),
        ("a", 0, 1, 1),
    ]:
        with pytest.raises(Invalid):
            images.crop(data, box)  # type: ignore[arg-type]


def test_image_functions_refuse_bombs_and_garbage() -> None:
    bomb = (MALICIOUS / "decompression_bomb_64mp.png").read_bytes()
    huge = (MALICIOUS / "decompression_bomb.png").read_bytes()
    for call in (
        lambda data: images.thumbnail(data, (64, 64)),
        lambda data: images.resize(data, 10),
        lambda data: images.crop(data, (0, 0, 1, 1)),
        images.image_size,
    ):
        for data in (bomb, huge):
            with pytest.raises(UploadRejected) as caught:
                call(data)
            assert caught.value.reason == "decompression_bomb"
        with pytest.raises(UploadRejected) as caught:
            call(b"not an image at all")
        assert caught.value.reason == "corrupt_image"
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the global limit is left alone


# ------------------------------------------------------------------------------------------- clamd


class FakeClamd(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Speaks clamd's zINSTREAM: NUL-ended command, length-prefixed chunks, a NUL-ended reply."""

    daemon_threads = True

    def __init__(self, path: str, verdict: Callable[[bytes], bytes]) -> None:
        self.verdict = verdict
        self.received: list[bytes] = []
        super().__init__(path, FakeClamdHandler)


class FakeClamdHandler(socketserver.BaseRequestHandler):
    def read_exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.request.recv(count - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self.read_exactly(1)
        if command != b"zINSTREAM\0":
            self.request.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while length := struct.unpack("!I", self.read_exactly(4))[0]:
            data += self.read_exactly(length)
        self.server.received.append(data)  # type: ignore[attr-defined]
        self.request.sendall(self.server.verdict(data) + b"\0")  # type: ignore[attr-defined]


def verdict(data: bytes) -> bytes:
    if b"TEST-VIRUS-SIGNATURE" in data:
        return b"stream: Lms.Test.Signature FOUND"
    if b"TOO-BIG" in data:
        return b"INSTREAM size limit exceeded. ERROR"
    return b"stream: OK"


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    directory = tempfile.mkdtemp(prefix="clamd", dir="/tmp")  # UNIX socket paths must be short
    server = FakeClamd(str(Path(directory) / "clamd.sock"), verdict)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)


def test_clamd_clean_file_passes_and_all_bytes_are_streamed(clamd: FakeClamd) -> None:
    scan = clamd_scanner(clamd.server_address)  # type: ignore[arg-type]
    data = bytes(range(256)) * 1000  # several 64 KB chunks
    scan(data)
    assert clamd.received == [data]


def test_clamd_found_is_malware(clamd: FakeClamd) -> None:
    scan = scanner_from_config({"CLAMD_SOCKET": clamd.server_address})
    assert scan is not None
    error = rejected("notes.txt", b"hello TEST-VIRUS-SIGNATURE", "course_material", scanner=scan)
    assert (error.reason, error.status_code) == ("malware", 422)


def test_clamd_error_reply_fails_closed(clamd: FakeClamd) -> None:
    with pytest.raises(UploadRejected) as caught:
        clamd_scanner(clamd.server_address)(b"TOO-BIG")  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.status_code) == ("scanner_unavailable", 503)


def test_clamd_unreachable_fails_closed() -> None:
    missing = Path(tempfile.gettempdir()) / "no-such-dir-for-clamd" / "clamd.sock"
    scan = clamd_scanner(str(missing), timeout=1)
    with pytest.raises(UploadRejected) as caught:
        scan(b"anything")
    assert (caught.value.reason, caught.value.status_code) == ("scanner_unavailable", 503)
    assert "temporarily unavailable" in caught.value.message


def test_clamd_silent_server_times_out() -> None:
    directory = tempfile.mkdtemp(prefix="clamd", dir="/tmp")
    path = str(Path(directory) / "mute.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(1)  # accepts the connection in the backlog, never answers
        with pytest.raises(UploadRejected) as caught:
            clamd_scanner(path, timeout=0.2)(b"data")
    shutil.rmtree(directory, ignore_errors=True)
    assert caught.value.status_code == 503


def test_no_scanner_without_a_socket() -> None:
    assert scanner_from_config({}) is None
    assert scanner_from_config({"CLAMD_SOCKET": None}) is None
