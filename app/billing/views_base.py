"""Shared pieces of the billing back office: labels, formatters, service calls that flash their errors,
and form pages that answer 422 when their input is refused."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, request
from flask_babel import lazy_gettext as _l

from app.core.views import BaseModelView
from app.core.views import label_formatter as label_formatter  # (re-exported for the billing screens)
from app.core.views import run_service as run_service

# The back office reads these routes; the rows change only through the billing services.
READ_ROUTES = frozenset({"list", "show", "export_csv"})
ACTION_ROUTES = frozenset({"action", "action_post"})

PURPOSE_LABELS = {
    "subscription": _l("New subscription"),
    "renewal": _l("Renewal"),
    "upgrade": _l("Upgrade"),
    "course": _l("Course purchase"),
}
COMMON_LABELS = {
    "id": _l("Id"),
    "code": _l("Code"),
    "name": _l("Name"),
    "description": _l("Description"),
    "user": _l("User"),
    "plan": _l("Plan"),
    "course": _l("Course"),
    "status": _l("Status"),
    "price": _l("Price"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class BillingModelView(BaseModelView):
    """A billing back-office screen; a refused add or edit form answers 422 with its field errors."""

    label_columns = COMMON_LABELS
    page_size = 25

    def render_template(self, template: str, **kwargs: Any) -> Any:
        """Re-shown add and edit forms (their input was refused) carry the 422 status."""
        body = super().render_template(template, **kwargs)
        if request.method == "POST" and template in (self.add_template, self.edit_template):
            return make_response(body, 422)
        return body

    def back(self) -> Any:
        """Back to where the action started (the list or the row)."""
        return redirect(self.get_redirect())
