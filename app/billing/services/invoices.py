"""Invoices: one per completed payment, gapless yearly numbers, e-mail, downloads (the PDF is in
`invoice_pdf`, re-exported here).

Numbers are `INV-<year>-<000001>` with no gaps in a year: `next_number` increments the year's
`invoice_sequence` row in the same transaction as the invoice insert, so concurrent issuers wait on
that row's lock and a rolled-back invoice gives its number back. The year is the UTC year of issue.

Amounts: the payment's amount is what the buyer was charged, and plan and course prices include VAT
(as they are shown in the region). So `total = payment.amount`, `subtotal = total / (1 + rate)`
rounded half-up to the cent, and `tax_amount = total - subtotal` (the three always add up); the rate
is BILLING_VAT_PERCENT. The buyer, the seller (COMPANY_NAME, COMPANY_ADDRESS, COMPANY_TAX_ID,
COMPANY_EMAIL; a `COMPANY_<FIELD>_AR` setting, when present, is used on Arabic invoices) and the lines
are copied onto the invoice in the buyer's language when it is issued, so it never changes later.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditLog
from app.billing import notices
from app.billing.models import Invoice, InvoiceSequence, Payment, Plan
from app.billing.services.invoice_pdf import (
    local_day,
    locked_invoice,
    parse_utc,
    pdf_bytes,
)
from app.billing.services.invoice_pdf import render_invoice_pdf as render_invoice_pdf
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.mail import send_mail
from app.core.models import cents, utcnow
from app.core.money import money_text
from app.core.targets import is_admin, signed_in_user_id
from app.core.tasks import enqueue
from app.core.transactions import transaction
from app.core.translations import translated
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import services as media
from app.security.models import LmsUser

log = logging.getLogger(__name__)

SELLER_FIELDS = ("name", "address", "tax_id", "email")


def vat_rate() -> Decimal:
    """The VAT percentage of new invoices (BILLING_VAT_PERCENT)."""
    return cents(current_app.config.get("BILLING_VAT_PERCENT") or "0")


def split_total(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(subtotal, tax) of a VAT-inclusive total: the subtotal to the cent, the tax the rest."""
    total = cents(total)
    subtotal = cents(total / (1 + rate / 100))
    return subtotal, total - subtotal


def invoice_number(year: int, sequence: int) -> str:
    """The public number, `INV-2026-000001`."""
    return f"INV-{year}-{sequence:06d}"


# ---- numbers ----------------------------------------------------------------------------------
def next_number(year: int) -> int:
    """The year's next number, taken in the caller's transaction (its row stays locked until then)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        table = InvoiceSequence.__table__
        session.execute(
            pg_insert(table).values(year=year, last_number=0).on_conflict_do_nothing(index_elements=["year"])
        )
        return session.execute(
            update(table)
            .where(table.c.year == year)
            .values(last_number=table.c.last_number + 1, updated_at=utcnow())
            .returning(table.c.last_number)
        ).scalar_one()
    # SQLite (the embedded mode) has one writer at a time: the ORM does the same.
    row = session.scalar(select(InvoiceSequence).where(InvoiceSequence.year == year).with_for_update())
    if row is None:
        row = InvoiceSequence(year=year, last_number=0)
        session.add(row)
    row.last_number += 1
    session.flush()
    return row.last_number


# ---- issuing ----------------------------------------------------------------------------------
def invoice_of_payment(payment_id: int, *, include_deleted: bool = False) -> Invoice | None:
    """The payment's invoice, if issued (and not deleted, unless asked)."""
    return db.session.scalar(
        select(Invoice)
        .where(Invoice.payment_id == payment_id)
        .execution_options(populate_existing=True, include_deleted=include_deleted)
    )


def _language(user: LmsUser) -> str:
    return "ar" if (user.locale or "").startswith("ar") else "en"


def _seller(language: str) -> dict[str, str]:
    config = current_app.config
    suffix = "_AR" if language == "ar" else "_EN"
    return {
        field: str(
            config.get(f"COMPANY_{field.upper()}{suffix}") or config.get(f"COMPANY_{field.upper()}") or ""
        )
        for field in SELLER_FIELDS
    }


def _billed_to(user: LmsUser) -> dict[str, str]:
    name = f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username
    return {"name": name[:200], "email": user.email or "", "timezone": user.timezone or "UTC"}


def _plan_line(payment: Payment, language: str, zone: str) -> dict[str, str]:
    details = payment.details or {}
    subscription = payment.subscription
    plan = payment.plan or (subscription.plan if subscription else None)
    name = (translated(plan.translations, "name", language) or plan.code) if plan else ""
    cycle = ""
    if plan is not None:
        lookup = plan.billing_cycle
        cycle = (lookup.name_ar if language == "ar" else lookup.name_en) or lookup.code
    start = parse_utc(details.get("period_start")) or (
        parse_utc(subscription.current_period_start) if subscription else None
    )
    end = parse_utc(details.get("period_end")) or (
        parse_utc(subscription.current_period_end) if subscription else None
    )
    period = _("Billing period: %(start)s to %(end)s", start=local_day(start, zone), end=local_day(end, zone))
    if payment.purpose == "upgrade":
        old = db.session.get(Plan, details["from_plan_id"]) if details.get("from_plan_id") else None
        detail = _("Prorated for the rest of the current period, until %(date)s.", date=local_day(end, zone))
        if old is not None:
            old_name = translated(old.translations, "name", language) or old.code
            detail = _("From the %(plan)s plan.", plan=old_name) + " " + detail
        return {
            "description": _("Upgrade to the %(plan)s plan (%(cycle)s)", plan=name, cycle=cycle),
            "detail": detail,
        }
    if payment.purpose == "renewal":
        description = _("Renewal of the %(plan)s plan (%(cycle)s)", plan=name, cycle=cycle)
    else:
        description = _("%(plan)s plan (%(cycle)s)", plan=name, cycle=cycle)
    return {"description": description, "detail": period if start and end else ""}


def _lines(payment: Payment, language: str, zone: str, subtotal: Decimal) -> list[dict[str, str]]:
    """What was bought, in the buyer's language (one line per payment)."""
    with force_locale(language):
        if payment.purpose == "course" and payment.course is not None:
            title = translated(payment.course.translations, "title", language)
            line = {"description": _("Course: %(title)s", title=title), "detail": _("Lifetime access")}
        else:
            line = _plan_line(payment, language, zone)
    return [{**line, "quantity": "1", "amount": str(subtotal)}]


def _new_invoice(payment: Payment, year: int, fields: dict[str, Any]) -> Invoice:
    """The invoice row with the year's next number (inside the caller's savepoint)."""
    sequence = next_number(year)
    invoice = Invoice(number=invoice_number(year, sequence), year=year, sequence=sequence, **fields)
    db.session.add(invoice)
    return invoice


def issue_invoice(payment_id: int, *, now: datetime | None = None) -> Invoice | None:
    """The completed payment's invoice, issued once (None for other payments and when its invoice was
    deleted); then its PDF and e-mail are queued.

    Concurrent calls for one payment: the unique payment_id lets one insert win and the others
    return its row (their savepoint, number included, is rolled back). Joins the caller's
    transaction (a completing payment's), committing only when called alone (the task).
    """
    with transaction():
        return _issue(payment_id, now)


def _issue(payment_id: int, now: datetime | None) -> Invoice | None:
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    if payment is None or payment.status_id != lookup_id("payment_status", "completed"):
        return None
    invoice = invoice_of_payment(payment_id, include_deleted=True)
    if invoice is None:
        issued_at = parse_utc(now) or utcnow()
        user = payment.user
        language = _language(user)
        rate = vat_rate()
        subtotal, tax = split_total(payment.amount, rate)
        billed_to = _billed_to(user)
        fields = {
            "payment_id": payment.id,
            "user_id": payment.user_id,
            "issued_at": issued_at,
            "subtotal": subtotal,
            "tax_rate": rate,
            "tax_amount": tax,
            "total": cents(payment.amount),
            "currency": payment.currency,
            "language": language,
            "billed_to": billed_to,
            "seller": _seller(language),
            "lines": _lines(payment, language, billed_to["timezone"], subtotal),
        }
        # Everything is computed before the number is taken: the sequence row stays locked briefly.
        try:
            with db.session.begin_nested():
                invoice = _new_invoice(payment, issued_at.year, fields)
                db.session.flush()
            notices.invoice_ready(invoice)
        except IntegrityError:
            invoice = invoice_of_payment(payment_id, include_deleted=True)
            if invoice is None:
                raise Conflict(_("The invoice could not be numbered. Please try again.")) from None
    if invoice.is_deleted:  # deleted by an admin: it stays deleted and is not issued again
        return None
    _follow_up(invoice)
    return invoice


def _follow_up(invoice: Invoice) -> None:
    """Queue what the invoice still lacks (the PDF, the e-mail, which renders it if needed) once the
    invoice is committed. A step that fails is logged and the invoice stands; a later issue_invoice
    call for the payment queues it again."""
    steps = ["app.billing.tasks.render_invoice"] if invoice.media_id is None else []
    if invoice.emailed_at is None:
        steps.append("app.billing.tasks.email_invoice")
    for task in steps:
        enqueue(task, invoice.id)  # queued after the commit (enqueue inside a transaction)


# ---- e-mail -----------------------------------------------------------------------------------
def _mail_texts(invoice: Invoice) -> tuple[str, str, str]:
    """(subject, text, html) in the invoice's language."""
    billed_to, seller = invoice.billed_to or {}, invoice.seller or {}
    with force_locale(invoice.language):
        total = money_text(invoice.total, invoice.currency)
        subject = _("Your invoice %(number)s", number=invoice.number)
        greeting = _("Hello %(name)s,", name=billed_to.get("name", ""))
        body = _(
            "Thank you for your payment. Your invoice %(number)s for %(total)s is attached as a PDF.",
            number=invoice.number,
            total=total,
        )
        closing = _("You can also download your invoices from your account at any time.")
    company = seller.get("name", "")
    text = f"{greeting}\n\n{body}\n\n{closing}\n\n{company}\n"
    direction = "rtl" if invoice.language == "ar" else "ltr"
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in (greeting, body, closing, company))
    html = (
        f'<!DOCTYPE html><html dir="{direction}" lang="{invoice.language}">'
        f'<body dir="{direction}">{paragraphs}</body></html>'
    )
    return subject, text, html


def email_invoice(invoice: Invoice, *, force: bool = False, now: datetime | None = None) -> bool:
    """Send the invoice's PDF to the buyer once (again with `force`); False when nothing was sent.

    The row stays locked while sending, so two workers never send the same invoice twice.
    MailError propagates (the task fails and may be retried); nothing is recorded then.
    """
    data = pdf_bytes(locked_invoice(invoice))  # renders and commits first when needed
    row = locked_invoice(invoice)
    # The account's current address (the snapshot on the invoice is what the document shows).
    address = (row.user.email if row.user else "") or (row.billed_to or {}).get("email")
    if (row.emailed_at is not None and not force) or not address:
        return False
    subject, text, html = _mail_texts(row)
    send_mail(address, subject, text, html=html, attachments=[(f"{row.number}.pdf", data, "application/pdf")])
    row.emailed_at = parse_utc(now) or utcnow()
    db.session.flush()
    return True


# ---- access -----------------------------------------------------------------------------------
def can_view_invoice(user: Any, invoice: Invoice) -> bool:
    """The buyer sees their invoice (admins pass through the target registry)."""
    user_id = signed_in_user_id(user)
    return user_id is not None and user_id == invoice.user_id and not invoice.is_deleted


def get_invoice(user: Any, invoice_id: int) -> Invoice:
    """An invoice the user may see: NotFound when missing or deleted, Forbidden for others."""
    invoice = db.session.get(Invoice, invoice_id, populate_existing=True)
    if invoice is None:
        raise NotFound(_("No such invoice."))
    if not (is_admin(user) or can_view_invoice(user, invoice)):
        raise Forbidden(_("You may not see this invoice."))
    return invoice


def user_invoices(user_id: int) -> list[Invoice]:
    """A user's invoices, newest first (their invoice history)."""
    stmt = (
        select(Invoice)
        .where(Invoice.user_id == user_id)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    )
    return list(db.session.scalars(stmt))


def download_url(user: Any, invoice: Invoice) -> str:
    """A signed, expiring link to the invoice's PDF for the buyer or an admin."""
    current = get_invoice(user, invoice.id)
    if current.media is None:
        raise NotFound(_("The invoice PDF is being prepared. Please try again in a moment."))
    return media.issue_link(current.media, user)


def download_history(invoice: Invoice) -> list[dict[str, Any]]:
    """Every download of the invoice's PDF, oldest first: when, by whom, from where."""
    if invoice.media_id is None:
        return []
    stmt = (
        select(AuditLog)
        .where(
            AuditLog.entity_type == "media",
            AuditLog.entity_id == invoice.media_id,
            AuditLog.action_id == lookup_id("audit_actions", "downloaded"),
        )
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return [
        {
            "at": parse_utc(entry.created_at),
            "user_id": entry.actor_id,
            "user": entry.actor_label,
            "ip": entry.ip,
        }
        for entry in db.session.scalars(stmt)
    ]
