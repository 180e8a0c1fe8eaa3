"""REST API for shares and referrals: /api/v1/share (own shares, share a target, own referral code and
links) and /api/v1/referral (conversions one's links brought, own results, figures for staff)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request, url_for
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from sqlalchemy import or_, select

from app.core import targets
from app.core.api import ServiceApi, iso, json_object, query_number
from app.core.errors import NotFound
from app.core.interface import SQLAInterface
from app.engagement import services
from app.engagement.models import ReferralConversion, Share
from app.engagement.services import referral_figures
from app.extensions import db


def _me() -> int:
    return targets.signed_in_user_id(g.get("user")) or 0


class FilterOwnShares(BaseFilter):
    """Everyone, admins too, lists only their own shares here (moderators use the back office)."""

    name = "Own shares"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """The user's rows."""
        return query.filter(self.model.user_id == _me())


class FilterOwnReferrals(BaseFilter):
    """Conversions the user's links brought (as first or last touch)."""

    name = "Own referrals"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """Rows crediting the user."""
        me = _me()
        return query.filter(or_(self.model.first_sharer_id == me, self.model.last_sharer_id == me))


def dump_share(share: Share) -> dict[str, Any]:
    """One share as JSON."""
    return {
        "id": share.id,
        "uuid": str(share.uuid),
        "target_type": share.target_type,
        "target_id": share.target_id,
        "channel": share.channel,
        "created_at": iso(share.created_at),
    }


class ShareApi(ServiceApi):
    """Share a target the caller may see (POST {target_type, target_id, channel}); the plain list
    holds the caller's own shares; `my_code` gives the caller's referral code and share links."""

    resource_name = "share"
    datamodel = SQLAInterface(Share)
    class_permission_name = "Share"
    include_route_methods = {"get_list", "post", "my_code"}
    method_permission_name = {"get_list": "read", "my_code": "read", "post": "write"}
    base_filters = [["id", FilterOwnShares, None]]
    list_columns = show_columns = ["id", "uuid", "target_type", "target_id", "channel", "created_at"]
    search_columns: list[str] = []

    def get_list_headless(self, **kwargs: Any) -> Response:
        """The caller's shares, newest first (`?page=&page_size=`)."""

        def body() -> Response:
            page, size = query_number("page", 1), query_number("page_size", 20)
            rows = services.my_shares(g.user, page, size)
            return self.response(200, page=page, result=[dump_share(r) for r in rows])

        return self.run(body)

    def post_headless(self) -> Response:
        """Share a target: {target_type, target_id, channel}; 201 with the share (200 with the earlier
        one for a repeat within SHARE_DEDUPE_HOURS)."""

        def body() -> Response:
            data = json_object()
            target_id = data.get("target_id")
            if isinstance(target_id, str) and target_id.isascii() and target_id.isdigit():
                target_id = int(target_id)
            row, new = services.record_share(g.user, data.get("target_type"), target_id, data.get("channel"))
            count = services.share_count(row.target_type, row.target_id)
            # A repeat within the dedupe window is the earlier share: 200, nothing counted again.
            return self.response(201 if new else 200, id=row.id, result=dump_share(row), share_count=count)

        return self.run(body)

    @expose("/my_code", methods=["GET"])
    @protect()
    @safe
    @permission_name("my_code")
    def my_code(self) -> Response:
        """The caller's referral code and a link carrying it (`?target_type=&target_id=` for a target's
        page the caller may see; the home page otherwise).
        ---
        get:
          parameters:
          - in: query
            name: target_type
            schema: {type: string}
          - in: query
            name: target_id
            schema: {type: integer}
          responses:
            200:
              description: The code and a link
            404:
              $ref: '#/components/responses/404'
        """

        def body() -> Response:
            code = services.referral_code(g.user)
            page = url_for("portal.home", _external=True)
            target_type = request.args.get("target_type")
            if target_type:
                target_id = query_number("target_id", 0)
                target = services.visible_target(g.user, target_type, target_id)
                page = targets.target_url(g.user, target_type, target) or page
                if page.startswith("/"):
                    page = request.host_url.rstrip("/") + page
            return self.response(200, referral_code=code, param="ref", link=services.with_code(page, code))

        return self.run(body)


Seen = tuple[set[tuple[str, int]], set[tuple[str, int]]] | None


def dump_conversion(row: ReferralConversion, seen: Seen = None) -> dict[str, Any]:
    """One conversion as JSON (who converted is not shown to the sharer, only that someone did).

    `seen` is (targets the caller may see, targets they moderate), None for admins (everything):
    other targets are blanked, and what someone paid is shown only to staff of its target."""
    target = (row.target_type, row.target_id) if row.target_type and row.target_id is not None else None
    visible = target is not None and (seen is None or target in seen[0])
    paid = seen is None or (target is not None and target in seen[1])
    return {
        "id": row.id,
        "kind": row.kind,
        "target_type": row.target_type if visible else None,
        "target_id": row.target_id if visible else None,
        "amount": str(row.amount) if paid and row.amount is not None else None,
        "currency": row.currency if paid else None,
        "first_touch": row.first_sharer_id == _me(),
        "last_touch": row.last_sharer_id == _me(),
        "converted_at": iso(row.converted_at),
    }


def visible_targets(user: Any, rows: list[ReferralConversion]) -> Seen:
    """The conversions' targets the user may see and those they moderate (None for admins: all), one
    statement per target type."""
    if targets.is_admin(user):
        return None
    by_type: dict[str, set[int]] = {}
    for row in rows:
        if row.target_type and row.target_id is not None:
            by_type.setdefault(row.target_type, set()).add(row.target_id)
    shown: set[tuple[str, int]] = set()
    moderated: set[tuple[str, int]] = set()
    for code, ids in by_type.items():
        try:
            model: Any = targets.get_target(code).model
        except NotFound:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            if targets.can_view(user, code, obj):
                shown.add((code, obj.id))
                if targets.can_moderate(user, code, obj):
                    moderated.add((code, obj.id))
    return shown, moderated


class ReferralApi(ServiceApi):
    """What the caller's share links brought (list, `mine` totals) and, for staff, the figures per
    sharer or course (`figures?by=sharer|course&model=first|last&start=&end=`)."""

    resource_name = "referral"
    datamodel = SQLAInterface(ReferralConversion)
    class_permission_name = "Referral"
    include_route_methods = {"get_list", "mine", "figures"}
    method_permission_name = {"get_list": "read", "mine": "read", "figures": "figures"}
    base_filters = [["id", FilterOwnReferrals, None]]
    list_columns = show_columns = ["id", "kind", "target_type", "target_id", "converted_at"]
    search_columns: list[str] = []
    base_order = ("converted_at", "desc")

    def get_list_headless(self, **kwargs: Any) -> Response:
        """Conversions the caller's links brought, newest first (`?page=&page_size=`)."""

        def body() -> Response:
            page, size = query_number("page", 1), min(query_number("page_size", 20), 100)
            query = self.datamodel.session.query(ReferralConversion)
            query = FilterOwnReferrals("id", self.datamodel).apply(query, None)
            rows = (
                query.order_by(ReferralConversion.converted_at.desc(), ReferralConversion.id.desc())
                .offset((max(page, 1) - 1) * size)
                .limit(max(size, 1))
                .all()
            )
            seen = visible_targets(g.user, rows)
            return self.response(200, page=page, result=[dump_conversion(r, seen) for r in rows])

        return self.run(body)

    @expose("/mine", methods=["GET"])
    @protect()
    @safe
    @permission_name("mine")
    def mine(self) -> Response:
        """The caller's totals: visits, sign-ups, enrolments and purchases their links brought.
        ---
        get:
          responses:
            200:
              description: Totals
        """

        def body() -> Response:
            results = services.my_results(g.user)
            return self.response(200, result=vars(results))

        return self.run(body)

    @expose("/figures", methods=["GET"])
    @protect()
    @safe
    @permission_name("figures")
    def figures(self) -> Response:
        """Referral figures per sharer or per course (admins: all; instructors: their courses).
        ---
        get:
          parameters:
          - in: query
            name: by
            schema: {type: string, enum: [sharer, course]}
          - in: query
            name: model
            schema: {type: string, enum: [first, last]}
          - in: query
            name: start
            schema: {type: string, format: date}
          - in: query
            name: end
            schema: {type: string, format: date}
          responses:
            200:
              description: The figures
            422:
              $ref: '#/components/responses/422'
        """

        def body() -> Response:
            by = request.args.get("by", "sharer")
            model = request.args.get("model", "last")
            start = referral_figures.parse_day(request.args.get("start"), "start")
            end = referral_figures.parse_day(request.args.get("end"), "end")
            rows = services.figures(g.user, by, model, start, end)
            return self.response(
                200,
                by=by,
                model=model,
                result=[
                    {
                        "id": r.key,
                        "label": r.label,
                        "shares": r.shares,
                        "visits": r.visits,
                        "signups": r.signups,
                        "enrollments": r.enrollments,
                        "purchases": r.purchases,
                        "revenue": {c: f"{a:.2f}" for c, a in r.revenue.items()},
                    }
                    for r in rows
                ],
            )

        return self.run(body)
