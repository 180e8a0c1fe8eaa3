"""Portal reactions: the reaction bar's form posts (a pressed type again removes it); JSON for scripts."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from app.core import targets
from app.core.errors import AppError
from app.core.portal import json_error
from app.core.portal import signed_in_user as _user
from app.core.transactions import transaction
from app.portal.views import portal
from app.security.permissions import requires_permission


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@portal.route("/reactions/<target_type>/<int:target_id>", methods=["POST"])
@requires_permission("can_write", "Reaction")
def react(target_type: str, target_id: int) -> Any:
    """React to a target, change the reaction, or remove it when the pressed type is posted again."""
    try:
        from app.engagement import services as engagement
    except ImportError:
        abort(404)
    user = _user()
    if user is None:
        if _wants_json():
            return json_error(401, _("Sign in to react."))
        flash(_("Sign in to react."), "warning")
        return redirect(url_for("AuthDBView.login"))
    code = request.form.get("type", "")
    try:
        with transaction():
            target = engagement.visible_target(user, target_type, target_id)
            mine = engagement.reaction_summary(target_type, [target_id], user)[target_id].mine
            if mine == code:
                engagement.unreact(user, target_type, target_id)
            else:
                engagement.react(user, target_type, target_id, code)
        back = targets.target_url(user, target_type, target) or url_for("portal.home")
    except AppError as error:
        if error.status_code == 404:
            abort(404)  # nothing says an invisible target exists
        if _wants_json():
            return json_error(error.status_code, error.message, error.errors)
        flash(error.message, "danger")
        return redirect(request.referrer if _local(request.referrer) else url_for("portal.home"))
    summary = engagement.reaction_summary(target_type, [target_id], user)[target_id]
    if _wants_json():
        return jsonify(
            counts={t.code: summary.counts.get(t.code, 0) for t in engagement.reaction_types()},
            total=summary.total,
            mine=summary.mine,
        )
    if "#" not in back:
        back += f"#reactions-{target_type}-{target_id}"
    return redirect(back)


def _local(url: str | None) -> bool:
    """True for a page of this site (the referrer a refused form goes back to)."""
    return bool(url) and url.startswith(request.host_url)  # type: ignore[union-attr]
