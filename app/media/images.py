"""Image processing with Pillow: pure functions over bytes, each guarded against decompression bombs.

The size an image declares is checked before any pixel is decoded (the global `Image.MAX_IMAGE_PIXELS`
is left alone); Pillow's own bomb error and warning are caught too. Output never carries the input's
metadata (EXIF, XMP, comments, text chunks); the ICC colour profile is kept so colours stay right.
"""

from __future__ import annotations

import contextlib
import io
import math
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from PIL import ExifTags, Image, ImageOps, ImageSequence
from PIL.TiffImagePlugin import IFDRational

from app.core.errors import Invalid
from app.media.validation import UploadRejected

MAX_PIXELS = 50_000_000
MAX_SIDE = 20_000
MAX_FRAMES = 1_000
MAX_ANIMATION_PIXELS = 200_000_000  # all frames of an animation together
JPEG_QUALITY = 90
WEBP_QUALITY = 90
THUMBNAIL_QUALITY = 85
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
EXIF_MAX_ENTRIES = 100
EXIF_MAX_TEXT = 256

_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_IFD_POINTERS = {int(ExifTags.IFD.Exif), int(ExifTags.IFD.GPSInfo), int(ExifTags.IFD.Interop)}


@dataclass(frozen=True)
class Reencoded:
    """An image written again: new bytes, the displayed size and the EXIF read before stripping."""

    data: bytes
    width: int
    height: int
    exif: dict[str, Any] = field(default_factory=dict)


def _bomb() -> UploadRejected:
    return UploadRejected(
        gettext(
            "The image is too large to process: at most %(pixels)s megapixels and %(side)s pixels a side.",
            pixels=MAX_PIXELS // 1_000_000,
            side=MAX_SIDE,
        ),
        reason="decompression_bomb",
    )


def _corrupt() -> UploadRejected:
    return UploadRejected(gettext("The image is damaged or is not a valid image."), reason="corrupt_image")


def check_dimensions(size: tuple[int, int]) -> None:
    """Refuse an image by the size it declares, before decoding it."""
    width, height = size
    if width <= 0 or height <= 0:
        raise _corrupt()
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise _bomb()


@contextmanager
def _guard() -> Iterator[None]:
    """Pillow's bomb error/warning -> decompression_bomb; any other decoding failure -> corrupt_image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb() from exc
        except (UploadRejected, Invalid):
            raise
        except Exception as exc:  # OSError, SyntaxError, ValueError...: decoders fail in many ways
            raise _corrupt() from exc


def open_image(data: bytes, formats: tuple[str, ...] | None = FORMATS) -> Image.Image:
    """Open (header only) and check the declared size; nothing is decoded yet."""
    with _guard():
        image = Image.open(io.BytesIO(data), formats=list(formats) if formats else None)
    check_dimensions(image.size)
    return image


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    orientation = image.getexif().get(int(ExifTags.Base.Orientation))
    width, height = image.size
    return (height, width) if orientation in _ROTATED else (width, height)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) as displayed (EXIF orientation applied), without decoding the pixels."""
    with _guard():
        return _displayed_size(open_image(data))


def _load_still(data: bytes, draft: tuple[int, int] | None = None) -> tuple[Image.Image, str]:
    """The first frame, decoded and turned upright; (image, source format)."""
    image = open_image(data)
    source_format = image.format or "PNG"
    with _guard():
        if draft and source_format == "JPEG":
            image.draft("RGB", draft)  # decode JPEGs at a reduced scale when only a small copy is needed
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
    return upright, source_format


# --------------------------------------------------------------------------------------------- EXIF


def _clean_text(value: str) -> str:
    text = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs"))
    return text.strip()[:EXIF_MAX_TEXT]


def _json_value(value: Any) -> str | int | float | None:
    """str/int/float for JSON (and PostgreSQL: no NUL); None for blobs, tuples and broken numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, IFDRational | float):
        if isinstance(value, IFDRational) and value.denominator == 0:
            return None
        number = float(value)
        return round(number, 6) if math.isfinite(number) else None
    if isinstance(value, str):
        return _clean_text(value) or None
    return None


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result):
        return None
    return round(-result if str(ref).strip().upper() in ("S", "W") else result, 7)


def _gps(gps: dict[int, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    latitude = _degrees(gps.get(2), gps.get(1)) if 2 in gps else None
    longitude = _degrees(gps.get(4), gps.get(3)) if 4 in gps else None
    if latitude is not None and longitude is not None:
        out["GPSLatitude"], out["GPSLongitude"] = latitude, longitude
    altitude = _json_value(gps.get(6))
    if isinstance(altitude, int | float):
        below = gps.get(5) in (1, b"\x01")
        out["GPSAltitude"] = -altitude if below else altitude
    stamp = _json_value(gps.get(29))
    if isinstance(stamp, str):
        out["GPSDateStamp"] = stamp
    return out


def read_exif(image: Image.Image) -> dict[str, Any]:
    """JSON-safe EXIF (main and Exif IFDs by tag name, GPS as decimal numbers); {} when absent/broken."""
    try:
        exif = image.getexif()
        tags = [(tag, value) for tag, value in exif.items() if tag not in _IFD_POINTERS]
        tags += list(exif.get_ifd(ExifTags.IFD.Exif).items())
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # broken EXIF is dropped, never fatal
        return {}
    out: dict[str, Any] = {}
    for tag, value in tags:
        name = ExifTags.TAGS.get(tag)
        clean = _json_value(value)
        if name and clean is not None and len(out) < EXIF_MAX_ENTRIES:
            out[name] = clean
    with contextlib.suppress(Exception):  # odd GPS values are skipped
        out.update(_gps(gps))
    return out


# ------------------------------------------------------------------------------------------- saving


def _for_format(image: Image.Image, fmt: str) -> Image.Image:
    """Convert to a mode the output format can hold (transparency kept where the format has it)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        if image.mode in ("RGB", "L", "CMYK"):
            return image
        if has_alpha:
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return image.convert("RGB")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA" if has_alpha else "RGB")
    if fmt == "PNG" and image.mode == "CMYK":
        return image.convert("RGB")
    if fmt == "GIF" and image.mode not in ("P", "L", "RGB", "RGBA"):
        return image.convert("RGBA" if has_alpha else "RGB")
    return image


def _options(image: Image.Image, fmt: str, quality: int) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options["quality"] = quality
    elif fmt == "WEBP":
        options.update(quality=quality, method=4)
    elif fmt == "PNG":
        options["optimize"] = True
    if fmt in ("PNG", "GIF") and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    if fmt in ("JPEG", "PNG", "WEBP") and image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    return options


def _strip(image: Image.Image) -> Image.Image:
    """Forget everything read from the file (EXIF, XMP, comments, text): only pixels are written."""
    image.info = {}
    return image


def save(image: Image.Image, fmt: str, quality: int = JPEG_QUALITY) -> bytes:
    """Write one frame in `fmt` without metadata."""
    fmt = fmt.upper()
    image = _for_format(image, fmt)
    options = _options(image, fmt, quality)
    buffer = io.BytesIO()
    _strip(image).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _save_animation(image: Image.Image, fmt: str) -> bytes:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        check_dimensions(frame.size)
        durations.append(int(frame.info.get("duration") or 100))
        frames.append(_strip(_for_format(frame.copy(), fmt)))
    options: dict[str, Any] = {"save_all": True, "append_images": frames[1:], "duration": durations}
    options["loop"] = 0
    if fmt == "WEBP":
        options.update(quality=WEBP_QUALITY, method=4)
    elif fmt == "GIF":
        options["disposal"] = 2
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, **options)
    return buffer.getvalue()


def reencode(data: bytes, fmt: str) -> Reencoded:
    """Verify an upload that sniffed as `fmt` and write it again: upright, same format, no metadata.

    JPEG and WEBP at quality 90, PNG optimized; animated GIF/PNG/WEBP keep their frames (within
    MAX_FRAMES and MAX_ANIMATION_PIXELS). Raises UploadRejected (decompression_bomb, corrupt_image).
    """
    fmt = fmt.upper()
    probe = open_image(data, (fmt,))
    with _guard():
        probe.verify()  # structure and checksums; the image must be opened again afterwards
    image = open_image(data, (fmt,))
    with _guard():
        exif = read_exif(image)
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            width, height = image.size
            if frames > MAX_FRAMES or frames * width * height > MAX_ANIMATION_PIXELS:
                raise _bomb()
            return Reencoded(_save_animation(image, fmt), width, height, exif)
        image.load()
        icc = image.info.get("icc_profile")
        transparency = image.info.get("transparency")
        upright = ImageOps.exif_transpose(image)
        kept = {"icc_profile": icc, "transparency": transparency}
        upright.info = {key: value for key, value in kept.items() if value is not None}
        quality = WEBP_QUALITY if fmt == "WEBP" else JPEG_QUALITY
        return Reencoded(save(upright, fmt, quality), upright.width, upright.height, exif)


# ------------------------------------------------------------------------------------------ resizing


def _output_format(source_format: str) -> str:
    return source_format if source_format in FORMATS else "PNG"


def thumbnail(data: bytes, size: tuple[int, int], fmt: str = "WEBP") -> bytes:
    """A copy that fits inside `size`, aspect ratio kept, never enlarged (first frame of animations)."""
    box_width, box_height = (int(side) for side in size)
    if box_width <= 0 or box_height <= 0:
        raise Invalid(gettext("The thumbnail size must be positive."))
    image, _ = _load_still(data, draft=(max(box_width, box_height),) * 2)
    with _guard():
        image.thumbnail((box_width, box_height), Image.Resampling.LANCZOS)
        return save(image, fmt, THUMBNAIL_QUALITY)


def resize(data: bytes, width: int, height: int | None = None) -> bytes:
    """Scale to width x height (height from the aspect ratio when omitted), in the source format."""
    image, source_format = _load_still(data)
    if height is None and isinstance(width, int) and width > 0:
        height = max(1, round(image.height * width / image.width))
    if not all(isinstance(side, int) and not isinstance(side, bool) and side > 0 for side in (width, height)):
        raise Invalid(gettext("The new size must be positive whole numbers of pixels."))
    assert height is not None
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise Invalid(gettext("The new size is too large."))
    with _guard():
        resized = image.resize((width, height), Image.Resampling.LANCZOS)
        return save(resized, _output_format(source_format))


def crop(data: bytes, box: tuple[int, int, int, int]) -> bytes:
    """Cut (left, top, right, bottom) out of the upright image, in the source format."""
    image, source_format = _load_still(data)
    try:
        left, top, right, bottom = box
    except (TypeError, ValueError):
        left = top = right = bottom = None
    values = (left, top, right, bottom)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise Invalid(gettext("The crop box must be four whole numbers."), {"box": ["invalid"]})
    if not (0 <= left < right <= image.width and 0 <= top < bottom <= image.height):  # type: ignore[operator]
        raise Invalid(
            gettext(
                "The crop box must lie inside the %(width)sx%(height)s image.",
                width=image.width,
                height=image.height,
            ),
            {"box": ["outside the image"]},
        )
    with _guard():
        return save(image.crop((left, top, right, bottom)), _output_format(source_format))  # type: ignore[arg-type]


def square(data: bytes, side: int, fmt: str = "WEBP") -> bytes:
    """A centre-cropped square copy `side` pixels wide (avatars): upright, no metadata, first frame."""
    if isinstance(side, bool) or not isinstance(side, int) or not 0 < side <= 2048:
        raise Invalid(gettext("The new size must be positive whole numbers of pixels."))
    image, _ = _load_still(data, draft=(side * 2, side * 2))
    with _guard():
        fitted = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=(0.5, 0.5))
        return save(fitted, fmt, THUMBNAIL_QUALITY)
