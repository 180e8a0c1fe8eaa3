"""Back office for shares and referrals, read-only: shares and conversions lists (admins see all;
instructors those about what they moderate) and the referral figures page with CSV downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView
from app.engagement import services
from app.engagement.models import ReferralConversion, Share
from app.engagement.services import referral_figures
from app.engagement.services.comments import moderated_targets


class FilterModeratedShares(BaseFilter):
    """Only shares of targets the current user moderates (every share for admins)."""

    name = "Shares of what I moderate"
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query with the moderation scopes of the target types."""
        return query.filter(services.moderated_shares(g.get("user")))


class FilterModeratedConversions(BaseFilter):
    """Only conversions about targets the current user moderates (every one for admins)."""

    name = "Referrals of what I moderate"
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query with the moderation scopes of the target types."""
        return query.filter(
            moderated_targets(g.get("user"), ReferralConversion.target_type, ReferralConversion.target_id)
        )


class ShareModelView(BaseModelView):
    """Who shared what through which channel: a read-only list."""

    datamodel = SQLAInterface(Share)
    class_permission_name = "ShareAdmin"
    include_route_methods = {"list", "show", "export_csv"}
    base_filters = [["id", FilterModeratedShares, None]]
    list_title = _l("Shares")
    show_title = _l("Share")
    label_columns = {
        "user": _l("User"),
        "target": _l("Shared"),
        "target_type": _l("Target type"),
        "target_id": _l("Target id"),
        "channel": _l("Channel"),
        "channel_name": _l("Channel"),
        "created_at": _l("Shared on"),
    }
    list_columns = ["user", "target", "channel_name", "created_at"]
    show_columns = ["user", "target_type", "target_id", "channel_name", "created_at"]
    search_columns = ["target_type", "target_id", "channel", "created_at"]
    order_columns = ["created_at"]
    base_order = ("created_at", "desc")


class ReferralConversionModelView(BaseModelView):
    """Sign-ups, enrolments and purchases that followed share links, with their sharers."""

    datamodel = SQLAInterface(ReferralConversion)
    class_permission_name = "ReferralAdmin"
    include_route_methods = {"list", "show", "export_csv"}
    base_filters = [["id", FilterModeratedConversions, None]]
    list_title = _l("Referrals")
    show_title = _l("Referral")
    label_columns = {
        "user": _l("User"),
        "kind": _l("Kind"),
        "kind_name": _l("Kind"),
        "target": _l("On"),
        "target_type": _l("Target type"),
        "target_id": _l("Target id"),
        "amount": _l("Amount"),
        "currency": _l("Currency"),
        "first_sharer": _l("First touch"),
        "last_sharer": _l("Last touch"),
        "converted_at": _l("When"),
    }
    list_columns = ["kind_name", "user", "target", "first_sharer", "last_sharer", "amount", "converted_at"]
    show_columns = [
        "kind_name",
        "user",
        "target_type",
        "target_id",
        "amount",
        "currency",
        "first_sharer",
        "last_sharer",
        "converted_at",
    ]
    search_columns = ["kind", "target_type", "target_id", "converted_at"]
    order_columns = ["converted_at"]
    base_order = ("converted_at", "desc")


class ReferralFiguresView(BaseView):
    """Referral figures per sharer and per course in a date range, credited to the first or last
    touch, each table downloadable as CSV (admins: everything; instructors: their courses)."""

    route_base = "/referralfigures"
    default_view = "index"
    class_permission_name = "ReferralFigures"
    method_permission_name = {"index": "read", "csv": "read"}

    def _query(self) -> tuple[str, dict[str, Any], str | None]:
        model = request.args.get("model", "last")
        if model not in referral_figures.MODELS:
            model = "last"
        error = None
        try:
            start = referral_figures.parse_day(request.args.get("start"), "start")
            end = referral_figures.parse_day(request.args.get("end"), "end")
        except AppError as exc:
            start = end = None
            error = exc.message
        return model, {"start": start, "end": end}, error

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Both tables with the filter form."""
        model, dates, error = self._query()
        tables = [
            (by, referral_figures.headers(by), services.figures(g.user, by, model, **dates))
            for by in referral_figures.BY
        ]
        return self.render_template(
            "engagement/referral_figures.html",
            tables=tables,
            cells=referral_figures.cells,
            model=model,
            start=request.args.get("start", "") if not error else "",
            end=request.args.get("end", "") if not error else "",
            error=error,
        )

    @expose("/csv/<string:by>")
    @has_access
    def csv(self, by: str) -> Any:
        """One table as CSV (formulas neutralised)."""
        if by not in referral_figures.BY:
            by = "sharer"
        model, dates, _error = self._query()
        rows = services.figures(g.user, by, model, **dates)
        name = f"referrals-by-{by}-{model}.csv"
        return Response(
            services.figures_csv(rows, by),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
