"""PDFs from HTML templates with xhtml2pdf: the shipped Amiri font (Arabic shaped, right to left),
no remote resources (images are data: URIs or files beside the fonts)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from flask import render_template
from markupsafe import Markup

FONT_DIR = Path(__file__).resolve().parent / "fonts"


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI (PDFs fetch nothing)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (navy on white)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=1)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="#1b2a4a", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


class PdfError(RuntimeError):
    """xhtml2pdf reported errors while rendering."""


def font_faces() -> Markup:
    """The @font-face rules a PDF template puts in its <style> (regular and bold Amiri)."""
    regular, bold = FONT_DIR / "Amiri-Regular.ttf", FONT_DIR / "Amiri-Bold.ttf"
    # Our own constant CSS with paths inside the repository: safe to mark, and quotes must stay quotes.
    return Markup(  # noqa: S704
        f'@font-face {{ font-family: "Amiri"; src: url("{regular}"); }}\n'
        f'@font-face {{ font-family: "Amiri"; src: url("{bold}"); font-weight: bold; }}\n'
    )


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes, or PdfError."""
    from xhtml2pdf import pisa  # ~0.45 s to import: only in processes that make PDFs
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    # Nothing remote (no SSRF) and no local file but the fonts and images beside them; data: URIs
    # (QR codes, seals) are part of the document.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR, max_render_seconds=30)
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, resource_policy=policy, encoding="utf-8")
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} error(s)")
    return out.getvalue()


def render_pdf(template: str, **context: Any) -> bytes:
    """Render a Jinja template (given `font_faces`) to PDF bytes."""
    return html_to_pdf(render_template(template, font_faces=font_faces(), **context))
