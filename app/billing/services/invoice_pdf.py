"""The invoice PDF: the template under the invoice's own language, stored once in the media library,
plus the formatting helpers the invoice, its PDF and its e-mail share."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.billing.models import Invoice
from app.billing.services.einvoice import tax_qr_payload
from app.core.errors import NotFound
from app.core.models import as_utc, cents
from app.core.money import money_format
from app.core.pdf import png_data_uri, qr_png, render_pdf
from app.extensions import db
from app.media import generated
from app.media import services as media
from app.media.models import Media

METHOD_LABELS = {
    "card": _l("Card"),
    "bank_transfer": _l("Bank transfer"),
    "manual": _l("Manual payment"),
    "sandbox": _l("Test payment"),
    "wallet": _l("Wallet"),
}


def format_money(amount: Decimal, currency: str) -> str:
    """An amount on the invoice, in the current (the invoice's) locale: "SAR 1,150.00", "1,150.00 ر.س."
    (each stands alone in its table cell: no isolates, which the PDF font has no glyphs for)."""
    return money_format(cents(amount), currency)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_utc(moment: datetime | str | None) -> datetime | None:
    """A stored datetime or an ISO one (from a payment's details) as aware UTC; None if unreadable."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    return as_utc(moment)


def local_day(moment: datetime | None, zone: str | None) -> str:
    """The day of a moment in a timezone, as a long date in the current language."""
    return format_date(moment.astimezone(_zone(zone)).date(), "long") if moment else ""


def locked_invoice(invoice: Invoice) -> Invoice:
    """The invoice row, locked until the commit, with its current values (NotFound when deleted)."""
    row = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update(of=Invoice)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(_("No such invoice."))
    return row


@lru_cache(maxsize=1)
def logo_data_uri() -> str:
    """A small logo (an open book on a navy tile) as a PNG data: URI: PDFs fetch nothing."""
    from PIL import Image, ImageDraw

    size = 192
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=40, fill="#1b2a4a")
    gold, cream = "#c9a14a", "#f6efe0"
    draw.polygon([(30, 58), (94, 70), (94, 150), (30, 138)], fill=cream)
    draw.polygon([(98, 70), (162, 58), (162, 138), (98, 150)], fill=cream)
    draw.line([(96, 66), (96, 154)], fill=gold, width=6)
    for offset in (0, 18, 36):
        draw.line([(42, 80 + offset), (84, 88 + offset)], fill=gold, width=5)
        draw.line([(108, 88 + offset), (150, 80 + offset)], fill=gold, width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def method_label(method: str | None) -> str:
    """A payment method as shown (in the current language)."""
    label = METHOD_LABELS.get(method or "")
    return str(label) if label is not None else (method or "").replace("_", " ").capitalize()


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes, in its own language, with the tax QR code when the seller has a VAT id."""
    payment = invoice.payment
    zone = (invoice.billed_to or {}).get("timezone")
    qr_text = tax_qr_payload(invoice)
    with force_locale(invoice.language):
        return render_pdf(
            "pdf/invoice.html",
            rtl=invoice.language == "ar",
            language=invoice.language,
            invoice=invoice,
            seller=invoice.seller or {},
            billed_to=invoice.billed_to or {},
            lines=invoice.lines or [],
            logo=logo_data_uri(),
            issued_on=local_day(parse_utc(invoice.issued_at), zone),
            paid_on=local_day(parse_utc(payment.paid_at) or parse_utc(invoice.issued_at), zone),
            method=method_label(payment.method),
            transaction_id=payment.transaction_id or "—",
            subtotal=format_money(invoice.subtotal, invoice.currency),
            tax_rate=f"{invoice.tax_rate.normalize():f}",
            tax_amount=format_money(invoice.tax_amount, invoice.currency),
            total=format_money(invoice.total, invoice.currency),
            amount=lambda value: format_money(Decimal(value), invoice.currency),
            tax_qr=png_data_uri(qr_png(qr_text)) if qr_text else None,
        )


def render_invoice_pdf(invoice: Invoice) -> Media:
    """Store the invoice's PDF once (concurrent calls wait on the row and reuse the first file)."""
    return generated.generated_once(
        invoice, locked_invoice, invoice_pdf, filename=lambda row: f"{row.number}.pdf", kind="invoice"
    )


def pdf_bytes(invoice: Invoice) -> bytes:
    """The stored PDF of the invoice (rendered first when it has none yet)."""
    stored = invoice.media or render_invoice_pdf(invoice)
    return media.storage().read(stored.provider.code, stored.storage_path)
