"""The QR code of a simplified tax invoice (ZATCA, Saudi Arabia): seller, VAT number, time, total, VAT."""

from __future__ import annotations

import base64

from app.billing.models import Invoice
from app.core.models import as_utc, cents


def _tlv(tag: int, value: str) -> bytes:
    data = value.encode("utf-8")
    if len(data) > 255:  # one length byte per field
        data = data[:255].decode("utf-8", "ignore").encode("utf-8")
    return bytes([tag, len(data)]) + data


def tax_qr_payload(invoice: Invoice) -> str | None:
    """The base64 TLV text the invoice's QR code carries, or None when the seller has no VAT number.

    Tags 1 to 5 of ZATCA's simplified invoice: seller name, VAT registration number, the time of
    issue (ISO 8601, UTC), the total with VAT and the VAT amount.
    """
    seller = invoice.seller or {}
    if not seller.get("tax_id"):
        return None
    issued = as_utc(invoice.issued_at)
    fields = (
        str(seller.get("name") or ""),
        str(seller["tax_id"]),
        issued.strftime("%Y-%m-%dT%H:%M:%SZ") if issued else "",
        f"{cents(invoice.total):.2f}",
        f"{cents(invoice.tax_amount):.2f}",
    )
    tlv = b"".join(_tlv(tag, value) for tag, value in enumerate(fields, start=1))
    return base64.b64encode(tlv).decode("ascii")
