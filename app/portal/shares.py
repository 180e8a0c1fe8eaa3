"""Portal shares (PRD 3.6): the share dialog's data and its record post, and "My referrals".
Routes only: the rules are in `app.engagement.services`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.core import targets
from app.core.errors import AppError
from app.core.portal import json_error, login_required
from app.core.portal import signed_in_user as _user
from app.core.transactions import transaction
from app.engagement import services
from app.engagement.models import SHARE_CHANNELS
from app.portal.views import portal
from app.security.permissions import has_permission, requires_permission
from app.security.ratelimit import spend_budget

# The external share pages (plain links, no third-party script): {url} and {text} are URL-encoded.
SHARE_LINKS = (
    ("email", "mailto:?subject={text}&body={text}%0A{url}"),
    ("whatsapp", "https://wa.me/?text={text}%20{url}"),
    ("x", "https://twitter.com/intent/tweet?url={url}&text={text}"),
    ("facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("linkedin", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("telegram", "https://t.me/share/url?url={url}&text={text}"),
)
_CODE_KEY = "_referral_code"


def _my_code(user: Any) -> str | None:
    """The user's referral code, remembered in their session (no statement per page once known)."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        return None
    known = session.get(_CODE_KEY)
    if isinstance(known, list) and len(known) == 2 and known[0] == user_id:
        return str(known[1])
    with transaction():  # made on first need, committed now
        code = services.referral_code(user)
    session[_CODE_KEY] = [user_id, code]
    return code


def share_links(url: str, text: str) -> list[tuple[str, str, str]]:
    """(channel, its name, the share page's address) for every external channel."""
    url_q, text_q = quote(url, safe=""), quote(text, safe="")
    return [
        (channel, str(SHARE_CHANNELS[channel]), pattern.format(url=url_q, text=text_q))
        for channel, pattern in SHARE_LINKS
    ]


def share_state(
    user: Any, target_type: str, target_id: int, title: str, counts: tuple[int, int] | None = None
) -> dict[str, Any]:
    """What the share dialog of a page needs: the link (with the user's referral code when signed in),
    the channels' links, whether shares are recorded, and the counters (`counts` when the page read
    them with its other figures, else one statement)."""
    code = _my_code(user)
    url = services.with_code(request.base_url, code)
    if counts is None:
        counts = services.share_summary(target_type, [target_id])[target_id]
    count, joined = counts
    return {
        "type": target_type,
        "id": target_id,
        "title": title,
        "url": url,
        "links": share_links(url, title),
        "record": code is not None and has_permission("can_write", "Share"),
        "count": count,
        "joined": joined,
    }


def _external_link(user: Any, target_type: str, target: Any, page: str, channel: str) -> str:
    """The share page of one channel for a target's page, with the user's code (built here from the
    channel, never from the request: no open redirect)."""
    from app.core.translations import current_language

    if page.startswith("/"):
        page = request.host_url.rstrip("/") + page
    title = targets.target_title(target_type, target, current_language())
    links = {
        channel: href for channel, _name, href in share_links(services.with_code(page, _my_code(user)), title)
    }
    return links[channel]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.form.get("quiet") == "1"


@portal.route("/shares/<target_type>/<int:target_id>", methods=["POST"])
@requires_permission("can_write", "Share")
def share(target_type: str, target_id: int) -> Any:
    """Record a share of a target through a channel (the dialog's buttons; a plain form for the timeline)."""
    user = _user()
    if user is None:
        if _wants_json():
            return json_error(401, _("Sign in to share."))
        return redirect(url_for("AuthDBView.login"))
    if not spend_budget("SHARE_RATE_LIMIT", "share", f"user:{user.id}") or not spend_budget(
        "SHARE_RATE_LIMIT", "share-ip", request.remote_addr or "-"
    ):
        if _wants_json():
            return json_error(429, _("Too many shares at once. Try again in a minute."))
        abort(429)
    channel = request.form.get("channel", "")
    try:
        with transaction():
            target = services.visible_target(user, target_type, target_id)
            services.share(user, target_type, target_id, channel)
        back = targets.target_url(user, target_type, target) or url_for("portal.home")
    except AppError as error:
        if error.status_code == 404:
            abort(404)  # nothing says an invisible target exists
        if _wants_json():
            return json_error(error.status_code, error.message, error.errors)
        flash(error.message, "danger")
        return redirect(url_for("portal.home"))
    if request.form.get("go") == "1" and channel in dict(SHARE_LINKS):
        return redirect(_external_link(user, target_type, target, back, channel))  # the form without scripts
    count, joined = services.share_summary(target_type, [target_id])[target_id]
    if _wants_json():
        return jsonify(count=count, joined=joined, channel=channel)
    flash(_("Shared to your timeline.") if channel == "timeline" else _("Thank you for sharing."), "success")
    return redirect(back)


@portal.route("/my/referrals")
@login_required()
def my_referrals() -> Response | str:
    """What the user's share links brought: visits, sign-ups, enrolments and purchases."""
    user = _user()
    return render_template(
        "portal/my_referrals.html",
        results=services.my_results(user),
        link=services.with_code(url_for("portal.home", _external=True), _my_code(user)),
    )
