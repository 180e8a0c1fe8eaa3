"""Invoices: gapless yearly numbers under concurrency, issued once per completed payment, VAT to the
cent, the Arabic and English PDFs, e-mail through a real SMTP server, signed downloads and soft delete."""

from __future__ import annotations

import base64
import itertools
import re
import shutil
import socket
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.billing import tasks
from app.billing.models import Invoice, InvoiceSequence, Payment, Plan
from app.billing.services import einvoice, invoice_pdf, invoices
from app.core.errors import Forbidden, NotFound
from app.core.mail import MailError, send_mail
from app.core.softdelete import soft_delete
from app.core.targets import register_target, registered_codes
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.media.models import Media
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.factories import make_user

NUMBER = r"^INV-\d{4}-\d{6}$"
PAID_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
_counter = itertools.count(1)


# ---- helpers ----------------------------------------------------------------------------------
def make_plan(name: str = "Premium", name_ar: str = "المميزة", price: str = "115.00") -> Plan:
    """A committed monthly plan with English and Arabic names."""
    plan = Plan(
        code=f"invoice-plan-{next(_counter)}-{uuid.uuid4().hex[:6]}",
        translations={"en": {"name": name}, "ar": {"name": name_ar}},
        price=Decimal(price),
        currency="SAR",
        billing_cycle_id=require_lookup_id("billing_cycles", "monthly"),
    )
    db.session.add(plan)
    db.session.commit()
    return plan


def make_payment(user: Any, *, amount: str = "115.00", status: str = "completed", **fields: Any) -> Payment:
    """A committed payment row (what the payments service leaves behind), completed by default."""
    fields.setdefault("purpose", "subscription")
    if fields["purpose"] != "course" and "plan_id" not in fields:
        fields["plan_id"] = make_plan().id
    payment = Payment(
        user_id=user.id,
        amount=Decimal(amount),
        currency=fields.pop("currency", "SAR"),
        status_id=require_lookup_id("payment_status", status),
        method=fields.pop("method", "card"),
        provider="sandbox",
        transaction_id=fields.pop("transaction_id", f"txn_{uuid.uuid4().hex[:20]}"),
        idempotency_key=uuid.uuid4().hex,
        paid_at=PAID_AT if status == "completed" else None,
        details=fields.pop(
            "details",
            {"period_start": "2026-03-14T09:30:00+00:00", "period_end": "2026-04-14T09:30:00+00:00"},
        ),
        **fields,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def stored_pdf(invoice: Invoice) -> bytes:
    return invoices.pdf_bytes(invoice)


@pytest.fixture
def invoice_target() -> None:
    """The "invoice" media owner (registered by the billing module; here when it is not yet)."""
    if "invoice" not in registered_codes():
        register_target(
            "invoice", Invoice, can_view=invoices.can_view_invoice, can_edit=lambda user, invoice: False
        )


@pytest.fixture
def billing(app: Flask, media_config: Path, invoice_target: None, smtp_server: list[EmailMessage]) -> Any:
    """Local media storage, tasks inline, the invoice target, and the loopback SMTP server's inbox."""
    return smtp_server


# ---- VAT --------------------------------------------------------------------------------------
def test_vat_is_taken_out_of_the_total_to_the_cent(app, ctx):
    rate = Decimal("15.00")
    assert invoices.split_total(Decimal("115.00"), rate) == (Decimal("100.00"), Decimal("15.00"))
    assert invoices.split_total(Decimal("99.99"), rate) == (Decimal("86.95"), Decimal("13.04"))
    assert invoices.split_total(Decimal("100"), rate) == (Decimal("86.96"), Decimal("13.04"))
    assert invoices.split_total(Decimal("0.01"), rate) == (Decimal("0.01"), Decimal("0.00"))
    assert invoices.split_total(Decimal("49.00"), Decimal("0")) == (Decimal("49.00"), Decimal("0.00"))
    for cents in range(1, 20000, 37):  # the two parts always add up to what was charged
        total = Decimal(cents) / 100
        subtotal, tax = invoices.split_total(total, rate)
        assert subtotal + tax == total and subtotal.as_tuple().exponent == -2
    with force_locale("en"):
        assert invoice_pdf.format_money(Decimal("1150.5"), "SAR") == "SAR\u00a01,150.50"
    with force_locale("ar"):
        assert invoice_pdf.format_money(Decimal("1150.5"), "SAR") == "\u200f1,150.50\u00a0ر.س.\u200f"
    assert invoices.invoice_number(2026, 1) == "INV-2026-000001"


def test_invoice_amounts_follow_the_configured_rate(app, ctx, billing, monkeypatch):
    monkeypatch.setitem(app.config, "BILLING_VAT_PERCENT", "5")
    user = make_user("Student")
    invoice = invoices.issue_invoice(make_payment(user, amount="210.00").id)
    assert (invoice.total, invoice.subtotal, invoice.tax_amount) == (
        Decimal("210.00"),
        Decimal("200.00"),
        Decimal("10.00"),
    )
    assert invoice.tax_rate == Decimal("5.00") and invoice.currency == "SAR"


# ---- issuing ----------------------------------------------------------------------------------
def test_issuing_twice_gives_one_invoice_one_pdf_and_one_mail(app, ctx, billing, media_config):
    user = make_user("Student", first_name="Amelia", last_name="Thornton")
    payment = make_payment(user, method="card", transaction_id="txn_test_4242")
    first = invoices.issue_invoice(payment.id)
    second = invoices.issue_invoice(payment.id)
    assert first is not None and second.id == first.id
    assert tasks.issue_invoice(payment.id) == first.id
    count = db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.payment_id == payment.id)
    )
    assert count == 1

    assert re.match(NUMBER, first.number) and first.number == f"INV-{first.year}-{first.sequence:06d}"
    assert first.user_id == user.id and first.language == "en"
    assert first.billed_to["name"] == "Amelia Thornton" and first.billed_to["email"] == user.email
    assert first.seller["name"] == app.config["COMPANY_NAME"]
    assert first.seller["tax_id"] == app.config["COMPANY_TAX_ID"]
    [line] = first.lines
    assert line["description"] == "Premium plan (Monthly)"
    assert line["detail"] == "Billing period: March 14, 2026 to April 14, 2026"
    assert line["amount"] == "100.00"
    # Rendered and e-mailed once (inline tasks), whatever the number of calls.
    assert first.media_id is not None and first.media.mediable_type == "invoice"
    assert first.media.original_filename == f"{first.number}.pdf"
    assert len(list(media_config.rglob("*.pdf"))) == 1
    assert len(billing) == 1 and first.emailed_at is not None
    assert tasks.render_invoice(first.id) == first.media_id
    assert tasks.email_invoice(first.id) is False
    assert len(billing) == 1


def test_only_completed_payments_get_an_invoice(app, ctx, billing):
    user = make_user("Student")
    for status in ("pending", "failed"):
        assert invoices.issue_invoice(make_payment(user, status=status).id) is None
    assert invoices.issue_invoice(10**9) is None
    assert tasks.issue_invoice(10**9) is None
    assert tasks.render_invoice(10**9) is None and tasks.email_invoice(10**9) is False


def test_course_and_upgrade_lines(app, ctx, billing):
    user = make_user("Student", locale="ar")
    course = make_course(title="Data Analysis", title_ar="تحليل البيانات", price=Decimal("230"))
    invoice = invoices.issue_invoice(
        make_payment(user, purpose="course", course_id=course.id, amount="230").id
    )
    with force_locale("ar"):
        expected = gettext("Course: %(title)s", title="تحليل البيانات")
    assert invoice.language == "ar" and invoice.lines[0]["description"] == expected
    english = make_user("Student")
    basic, pro = make_plan("Basic", "الأساسية"), make_plan("Pro", "الاحترافية")
    details = {"from_plan_id": basic.id, "period_end": "2026-04-14T09:30:00+00:00"}
    upgrade = make_payment(english, purpose="upgrade", plan_id=pro.id, amount="40.25", details=details)
    [line] = invoices.issue_invoice(upgrade.id).lines
    assert line["description"] == "Upgrade to the Pro plan (Monthly)"
    assert (
        line["detail"]
        == "From the Basic plan. Prorated for the rest of the current period, until April 14, 2026."
    )


def test_a_failure_after_the_number_is_taken_gives_the_number_back(app, ctx, billing, monkeypatch):
    user = make_user("Student")
    year = 2041
    now = datetime(year, 1, 2, tzinfo=UTC)
    first = invoices.issue_invoice(make_payment(user).id, now=now)
    assert first.number == f"INV-{year}-000001"
    real = invoices._new_invoice

    def broken(*args: Any) -> Invoice:
        real(*args)  # the number is taken, the row added...
        raise RuntimeError("the disk is full")  # ...and then the transaction fails

    monkeypatch.setattr(invoices, "_new_invoice", broken)
    failed = make_payment(user)
    with pytest.raises(RuntimeError):
        invoices.issue_invoice(failed.id, now=now)
    db.session.rollback()
    monkeypatch.undo()
    assert invoices.invoice_of_payment(failed.id) is None
    assert invoices.issue_invoice(failed.id, now=now).number == f"INV-{year}-000002"


# ---- concurrency (real commits, PostgreSQL) ---------------------------------------------------
def test_fifty_concurrent_issues_get_fifty_gapless_numbers(app, committed, monkeypatch):
    assert committed.dialect.name == "postgresql"
    monkeypatch.setattr(invoices, "_follow_up", lambda invoice: None)  # numbering only: no PDF, no mail
    year = 2037  # a year no other test numbers in
    now = datetime(year, 6, 1, 12, tzinfo=UTC)
    with app.app_context():
        users = [make_user("Student") for _ in range(5)]
        user_ids = [user.id for user in users]
        plan_id = make_plan().id
        payment_ids = [make_payment(users[i % 5], plan_id=plan_id).id for i in range(50)]
        db.session.remove()
    barrier = threading.Barrier(50, timeout=60)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker(payment_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()  # all 50 start together
                numbers.append(invoices.issue_invoice(payment_id, now=now).number)
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(pid,)) for pid in payment_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, 51)]
    with app.app_context():
        rows = db.session.scalars(select(Invoice).where(Invoice.year == year)).all()
        assert sorted(r.sequence for r in rows) == list(range(1, 51))
        assert {r.payment_id for r in rows} == set(payment_ids)
        # Two issuers of one payment at once: one invoice, and the loser's number is given back.
        buyer = db.session.get(LmsUser, user_ids[0])
        extra = make_payment(buyer, plan_id=plan_id).id
        db.session.remove()
    same: list[int] = []
    pair = threading.Barrier(2, timeout=30)

    def twin() -> None:
        try:
            with app.app_context():
                pair.wait()
                same.append(invoices.issue_invoice(extra, now=now).sequence)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    twins = [threading.Thread(target=twin) for _ in range(2)]
    for thread in twins:
        thread.start()
    for thread in twins:
        thread.join(timeout=60)
    assert not errors, errors
    assert same == [51, 51]
    with app.app_context():
        # A number taken in a transaction that is rolled back is not lost.
        assert invoices.next_number(year) == 52
        db.session.rollback()
        sequence = db.session.scalar(select(InvoiceSequence).where(InvoiceSequence.year == year))
        assert sequence.last_number == 51
        buyer = db.session.get(LmsUser, user_ids[1])
        last = invoices.issue_invoice(make_payment(buyer, plan_id=plan_id).id, now=now)
        assert last.number == f"INV-{year}-000052"
        db.session.remove()


# ---- the PDF ----------------------------------------------------------------------------------
def _page(data: bytes) -> Any:
    pdf = pypdfium2.PdfDocument(data)
    assert len(pdf) == 1  # one A4 portrait page
    width, height = pdf[0].get_size()
    assert round(width) == 595 and round(height) == 842
    return pdf[0]


def _save_png(page: Any, name: str, tmp_path: Path) -> None:
    """Save the page as PNG (a copy in the temp folder to look at) and check that it is not blank."""
    image = page.render(scale=1.6).to_pil()
    image.save(tmp_path / name)
    shutil.copyfile(tmp_path / name, Path(tempfile.gettempdir()) / name)
    gray = image.convert("L")
    dark = sum(gray.histogram()[:120])
    assert dark > 5000, f"{name} is nearly blank"


def test_arabic_invoice_pdf_is_right_to_left_text(app, ctx, billing, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "COMPANY_NAME_AR", "أكاديمية المعرفة")
    monkeypatch.setitem(app.config, "COMPANY_ADDRESS_AR", "الرياض، المملكة العربية السعودية")
    user = make_user("Student", locale="ar", first_name="فاطمة", last_name="الزهراء")
    payment = make_payment(user, amount="1150.00", method="card", transaction_id="txn_AR_77")
    invoice = invoices.issue_invoice(payment.id)
    assert invoice.language == "ar" and invoice.seller["name"] == "أكاديمية المعرفة"
    page = _page(stored_pdf(invoice))
    extracted = page.get_textpage().get_text_range()
    with force_locale("ar"):
        heading = gettext("Tax invoice")
        total_label = gettext("Total paid")
    for expected in ("أكاديمية المعرفة", "فاطمة الزهراء", heading, total_label, invoice.number):
        assert expected in extracted, expected
    for amount in ("1,150.00", "1,000.00", "150.00", "txn_AR_77", app.config["COMPANY_TAX_ID"]):
        assert amount in extracted, amount
    _save_png(page, "invoice-ar.png", tmp_path)


def test_the_seller_is_named_in_the_language_of_the_invoice(app, ctx, billing):
    """Out of the box, Arabic invoices carry the company's Arabic name and address, English ones the
    English name and address (COMPANY_NAME_AR / COMPANY_ADDRESS_AR, COMPANY_NAME / COMPANY_ADDRESS)."""
    arabic = invoices.issue_invoice(make_payment(make_user("Student", locale="ar")).id)
    english = invoices.issue_invoice(make_payment(make_user("Student", locale="en")).id)
    arabic_text = _page(stored_pdf(arabic)).get_textpage().get_text_range()
    english_text = _page(stored_pdf(english)).get_textpage().get_text_range()
    name_ar, address_ar = app.config["COMPANY_NAME_AR"], app.config["COMPANY_ADDRESS_AR"]
    assert re.search("[\u0600-\u06ff]", name_ar) and re.search("[\u0600-\u06ff]", address_ar)
    # The PDF's shaping drops harakat (the shadda of تعلّم).
    for expected in (name_ar, address_ar):
        assert re.sub("[\u064b-\u0652]", "", expected) in arabic_text, expected
    assert app.config["COMPANY_NAME"] not in arabic_text
    assert app.config["COMPANY_ADDRESS"] not in arabic_text
    for expected in (app.config["COMPANY_NAME"], app.config["COMPANY_ADDRESS"]):
        assert expected in english_text, expected


def test_english_invoice_pdf_text_and_image(app, ctx, billing, tmp_path):
    user = make_user("Student", first_name="Amelia", last_name="Thornton")
    payment = make_payment(user, amount="115.00", method="card", transaction_id="txn_EN_4242")
    invoice = invoices.issue_invoice(payment.id)
    page = _page(stored_pdf(invoice))
    extracted = page.get_textpage().get_text_range()
    for expected in (
        "Tax invoice",
        invoice.number,
        "Amelia Thornton",
        "Premium plan (Monthly)",
        "March 14, 2026",
        "Card",
        "txn_EN_4242",
        "SAR 100.00",  # Babel's English format: the code before, apart from the digits
        "SAR 15.00",
        "SAR 115.00",
        "VAT (15%)",
        app.config["COMPANY_TAX_ID"],
    ):
        assert expected in extracted, expected
    _save_png(page, "invoice-en.png", tmp_path)


# ---- e-mail -----------------------------------------------------------------------------------
def test_the_invoice_is_emailed_in_arabic_with_its_pdf(app, ctx, billing):
    user = make_user("Student", locale="ar", first_name="فاطمة", last_name="الزهراء")
    invoice = invoices.issue_invoice(make_payment(user).id)
    assert invoice.emailed_at is not None
    [message] = billing
    with force_locale("ar"):
        subject = gettext("Your invoice %(number)s", number=invoice.number)
    assert message["Subject"] == subject and invoice.number in message["Subject"]
    assert message["To"] == user.email
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert "فاطمة الزهراء" in message.get_body(("plain",)).get_content()
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF") and attachment.get_content() == stored_pdf(invoice)
    # Sent once; again only when asked.
    assert invoices.email_invoice(invoice) is False and len(billing) == 1
    assert invoices.email_invoice(invoice, force=True) is True and len(billing) == 2


def test_send_mail_arabic_subject_and_clear_errors(app, ctx, smtp_server):
    send_mail(
        ["a@example.test", "b@example.test"],
        "مرحبا بكم في المنصة",
        "نص الرسالة",
        attachments=[("ملف.txt", "سطر".encode(), "text/plain")],
    )
    [message] = smtp_server
    assert message["Subject"] == "مرحبا بكم في المنصة" and message["To"] == "a@example.test, b@example.test"
    assert message.get_body(("plain",)).get_content().strip() == "نص الرسالة"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "ملف.txt" and attachment.get_content() == "سطر"
    with pytest.raises(MailError):
        send_mail("a@example.test", "Two\nlines", "header injection is refused")
    with pytest.raises(MailError):
        send_mail([], "Nobody", "no recipient")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app.config["MAIL_PORT"] = port  # nothing listens there (restored by the fixture's monkeypatch)
    with pytest.raises(MailError) as failed:
        send_mail("a@example.test", "Hello", "Nobody answers")
    assert f"127.0.0.1:{port}" in str(failed.value)


def test_a_mail_failure_does_not_undo_the_invoice(app, ctx, media_config, invoice_target, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    payment = make_payment(make_user("Student"))
    invoice = invoices.issue_invoice(payment.id)
    assert invoice.media_id is not None and invoice.emailed_at is None
    with pytest.raises(MailError):
        tasks.email_invoice(invoice.id)  # the task fails (a worker may retry it)
    assert db.session.get(Invoice, invoice.id, populate_existing=True).emailed_at is None


# ---- downloads and soft delete ----------------------------------------------------------------
def test_the_buyer_downloads_through_a_signed_link_and_others_are_refused(app, billing):
    with app.app_context():
        owner, stranger, admin = make_user("Student"), make_user("Student"), make_user("Admin")
        invoice = invoices.issue_invoice(make_payment(owner).id)
        assert invoices.can_view_invoice(owner, invoice) and not invoices.can_view_invoice(stranger, invoice)
        with app.test_request_context():
            url = invoices.download_url(owner, invoice)
            assert invoices.download_url(admin, invoice)
            with pytest.raises(Forbidden) as refused:
                invoices.download_url(stranger, invoice)
            assert refused.value.status_code == 403
            with pytest.raises(Forbidden):
                invoices.get_invoice(stranger, invoice.id)
        ids, expected = (invoice.id, invoice.media_id, owner.id), stored_pdf(invoice)
        assert invoices.download_history(invoice) == []
        db.session.remove()
    served = app.test_client().get(url)
    assert served.status_code == 200 and served.data == expected
    assert served.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        invoice = db.session.get(Invoice, ids[0])
        assert db.session.get(Media, ids[1]).download_count == 1 and invoice.download_count == 1
        [entry] = invoices.download_history(invoice)
        assert entry["user_id"] == ids[2] and entry["at"].tzinfo is not None
        assert [i.id for i in invoices.user_invoices(ids[2])] == [ids[0]]
        db.session.remove()


def test_a_soft_deleted_invoice_is_not_downloadable(app, ctx, billing):
    owner = make_user("Student")
    invoice = invoices.issue_invoice(make_payment(owner).id)
    invoice_id = invoice.id
    soft_delete(invoice)
    db.session.commit()
    with app.test_request_context():
        with pytest.raises(NotFound) as missing:
            invoices.download_url(owner, invoice)
        assert missing.value.status_code == 404
        with pytest.raises(NotFound):
            invoices.get_invoice(owner, invoice_id)
    assert invoices.user_invoices(owner.id) == []
    assert tasks.render_invoice(invoice_id) is None
    # Issuing again (a replayed payment notification) neither revives nor re-issues it.
    assert invoices.issue_invoice(invoice.payment_id) is None
    assert invoices.invoice_of_payment(invoice.payment_id) is None


def test_download_before_the_pdf_exists_says_it_is_being_prepared(app, ctx, billing, monkeypatch):
    monkeypatch.setattr(invoices, "_follow_up", lambda invoice: None)
    owner = make_user("Student")
    invoice = invoices.issue_invoice(make_payment(owner).id)
    assert invoice.media_id is None
    with app.test_request_context(), pytest.raises(NotFound) as waiting:
        invoices.download_url(owner, invoice)
    assert "being prepared" in waiting.value.message


def _tlv_fields(text: str) -> dict[int, str]:
    data, fields = base64.b64decode(text), {}
    while data:
        tag, length = data[0], data[1]
        fields[tag] = data[2 : 2 + length].decode("utf-8")
        data = data[2 + length :]
    return fields


def test_the_invoice_qr_code_carries_the_simplified_tax_invoice_fields(app, ctx, billing, monkeypatch):
    monkeypatch.setitem(app.config, "COMPANY_NAME_AR", "أكاديمية المعرفة")
    user = make_user("Student", locale="ar", first_name="فاطمة", last_name="الزهراء")
    invoice = invoices.issue_invoice(make_payment(user, amount="1150.00").id)
    image = _page(stored_pdf(invoice)).render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1, "one QR code on the invoice"
    fields = _tlv_fields(codes[0].text)
    assert fields == {
        1: "أكاديمية المعرفة",
        2: app.config["COMPANY_TAX_ID"],
        3: invoice.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        4: "1150.00",
        5: "150.00",
    }


def test_no_tax_qr_code_without_a_vat_number(app, ctx, billing, monkeypatch):
    monkeypatch.setitem(app.config, "COMPANY_TAX_ID", "")
    invoice = invoices.issue_invoice(make_payment(make_user("Student"), amount="115.00").id)
    assert einvoice.tax_qr_payload(invoice) is None
    assert zxingcpp.read_barcodes(_page(stored_pdf(invoice)).render(scale=3).to_pil()) == []
