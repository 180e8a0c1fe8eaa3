"""PDFs from HTML templates with xhtml2pdf: the shipped Amiri font (Arabic shaped, right to left),
no remote resources (images are data: URIs or files beside the fonts)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import render_template
from markupsafe import Markup

FONT_DIR = Path(__file__).resolve().parent / "fonts"


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
