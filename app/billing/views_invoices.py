"""Invoice management (admins): numbers, buyers, totals, e-mailing and downloads of each invoice."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.billing.models import Invoice
from app.billing.services import invoices
from app.billing.views_base import (
    ACTION_ROUTES,
    COMMON_LABELS,
    READ_ROUTES,
    BillingModelView,
    run_service,
)
from app.core.errors import AppError
from app.core.formatters import format_user_datetime
from app.core.interface import SQLAInterface
from app.core.mail import MailError
from app.core.transactions import transaction
from app.core.views import BaseModelView, error_text

INVOICE_LABELS = {
    **COMMON_LABELS,
    "number": _l("Number"),
    "payment": _l("Payment"),
    "issued_at": _l("Issued"),
    "subtotal": _l("Subtotal"),
    "tax_rate": _l("Tax rate (%)"),
    "tax_amount": _l("Tax"),
    "total": _l("Total"),
    "language": _l("Language"),
    "billed_to": _l("Billed to"),
    "seller": _l("Seller"),
    "lines": _l("Lines"),
    "media": _l("PDF file"),
    "emailed_at": _l("E-mailed"),
    "media.download_count": _l("Downloads"),
}


class InvoiceModelView(BillingModelView):
    """Every invoice: download its PDF through a signed link, send it again, soft delete it."""

    datamodel = SQLAInterface(Invoice)
    class_permission_name = "InvoiceAdmin"
    # `delete` keeps the write permission, and with it the base view's soft delete action.
    include_route_methods = READ_ROUTES | ACTION_ROUTES | {"delete", "download_pdf"}
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "download_action": "read",
        "download_pdf": "read",
        "send_again": "send",
    }
    list_title = _l("Invoices")
    show_title = _l("Invoice")
    label_columns = INVOICE_LABELS
    list_columns = [
        "number",
        "user",
        "total",
        "currency",
        "issued_at",
        "emailed_at",
        "media.download_count",
    ]
    show_columns = [
        "number",
        "user",
        "payment",
        "issued_at",
        "subtotal",
        "tax_rate",
        "tax_amount",
        "total",
        "currency",
        "language",
        "billed_to",
        "seller",
        "lines",
        "emailed_at",
        "media.download_count",
        "created_at",
        "updated_at",
    ]
    search_columns = ["number", "user", "issued_at", "emailed_at", "currency", "total"]
    order_columns = ["number", "total", "currency", "issued_at", "emailed_at"]
    base_order = ("issued_at", "desc")
    formatters_columns = {
        "media.download_count": lambda value: 0 if value is None else value,
    }

    show_template = "billing/invoice_show.html"

    def render_template(self, template: str, **kwargs: Any) -> Any:
        """The show page also lists who downloaded the invoice, when and from where."""
        if template == self.show_template and "pk" in kwargs:
            item = self.datamodel.get(kwargs["pk"], self._base_filters)
            kwargs["history"] = invoices.download_history(item) if item is not None else []
            kwargs["format_user_datetime"] = format_user_datetime
        return super().render_template(template, **kwargs)

    @action("download_pdf", _l("Download PDF"), None, "fa-file-pdf", multiple=False)
    def download_action(self, item: Invoice) -> Any:
        """Download the invoice's PDF."""
        return redirect(url_for(".download_pdf", pk=item.id))

    @action(
        "send_again",
        _l("Send again by e-mail"),
        _l("E-mail the selected invoices to their buyers again?"),
        "fa-envelope",
    )
    def send_again(self, items: Any) -> Any:
        """E-mail each selected invoice's PDF to its buyer, even when it was sent before."""
        rows = items if isinstance(items, list) else [items]
        sent = 0
        for invoice in rows:
            try:
                with transaction():  # each e-mail sent is recorded at once, whatever the next one does
                    emailed = invoices.email_invoice(invoice, force=True)
                if emailed:
                    sent += 1
                else:
                    flash(
                        gettext("%(number)s: the buyer has no e-mail address.", number=invoice.number),
                        "warning",
                    )
            except AppError as exc:
                flash(f"{invoice.number}: {error_text(exc)}", "danger")
            except MailError:
                flash(
                    gettext("%(number)s: the mail server did not accept the message.", number=invoice.number),
                    "danger",
                )
        if sent:
            flash(gettext("%(count)d invoice(s) sent.", count=sent), "success")
        return self.back()

    @expose("/pdf/<int:pk>")
    @has_access
    def download_pdf(self, pk: int) -> Any:
        """Redirect to a signed, expiring link to the PDF (the download is counted)."""
        invoice = self._get_scoped(pk)
        if invoice is None:
            abort(404)
        ok, url = run_service(invoices.download_url, g.user, invoice)
        return redirect(url if ok else url_for(".show", pk=pk))
