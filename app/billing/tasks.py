"""Billing background tasks."""

from __future__ import annotations

# Services are imported inside each task: they import the payments service, which enqueues these tasks.


def renew_subscriptions() -> int:
    """Scheduled: charge the subscriptions whose period has ended (trial conversions and renewals)."""
    from app.billing.services.lifecycle import renew_due

    return renew_due()


def expire_subscriptions() -> int:
    """Scheduled: end the subscriptions that will not renew or whose grace period is over."""
    from app.billing.services.lifecycle import expire_due

    return expire_due()


def remind_subscriptions() -> int:
    """Scheduled: e-mail the subscribers whose subscription ends soon without renewing."""
    from app.billing.services.lifecycle import remind_due

    return remind_due()


def issue_invoice(payment_id: int) -> int | None:
    """Issue (once) the invoice of a completed payment, then queue its PDF and e-mail; its id or None."""
    from app.billing.services import invoices

    invoice = invoices.issue_invoice(payment_id)
    return invoice.id if invoice is not None else None


def render_invoice(invoice_id: int) -> int | None:
    """Store an invoice's PDF if it has none yet; the media id, or None for an unknown invoice."""
    from app.billing.models import Invoice
    from app.billing.services import invoices
    from app.extensions import db

    invoice = db.session.get(Invoice, invoice_id, populate_existing=True)
    if invoice is None:
        return None
    return invoices.render_invoice_pdf(invoice).id


def email_invoice(invoice_id: int) -> bool:
    """E-mail an invoice's PDF to the buyer once; False when already sent or unknown (mail errors raise)."""
    from app.billing.models import Invoice
    from app.billing.services import invoices
    from app.extensions import db

    invoice = db.session.get(Invoice, invoice_id, populate_existing=True)
    if invoice is None:
        return False
    return invoices.email_invoice(invoice)
