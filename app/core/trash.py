"""The Trash: admins list soft-deleted rows of every model and restore them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.core.formatters import format_user_datetime
from app.core.softdelete import deleted_counts, deleted_rows, restore_ids, soft_deletable_models
from app.core.views import model_label


class TrashView(BaseView):
    """Admins list soft-deleted rows of every model and restore them."""

    route_base = "/admin/trash"
    default_view = "index"
    class_permission_name = "Trash"
    method_permission_name = {"index": "read", "model": "read", "restore": "write"}
    page_size = 50

    @staticmethod
    def _model(table: str) -> type[Any]:
        for model in soft_deletable_models():
            if model.__tablename__ == table:
                return model
        abort(404)

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Counts of deleted rows per model."""
        counts = [(model.__tablename__, model_label(model), n) for model, n in deleted_counts()]
        return self.render_template("lms/trash/index.html", counts=counts)

    @expose("/<table>/")
    @has_access
    def model(self, table: str) -> Any:
        """The deleted rows of one model, newest deletion first."""
        model = self._model(table)
        page = max(request.args.get("page", 0, type=int), 0)
        return self.render_template(
            "lms/trash/model.html",
            table=table,
            label=model_label(model),
            items=deleted_rows(model, page, self.page_size),
            page=page,
            page_size=self.page_size,
            format_datetime=format_user_datetime,
        )

    @expose("/<table>/restore", methods=["POST"])
    @has_access
    def restore(self, table: str) -> Any:
        """Restore the selected rows (audited as `restored`)."""
        model = self._model(table)
        ids = [int(pk) for pk in request.form.getlist("rowid") if pk.isdigit()]
        if ids:
            count = restore_ids(model, ids)
            flash(gettext("%(count)d record(s) restored.", count=count), "success")
        else:
            flash(gettext("Select at least one record to restore."), "warning")
        return redirect(url_for("TrashView.model", table=table))
