"""Portal routes of the profile's files: the avatar (and the CVs), through the media library."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from app.core.errors import AppError
from app.core.portal import login_required, signed_in_user
from app.core.transactions import transaction
from app.media import avatars
from app.media.services import kind_limits
from app.media.validation import human_size
from app.portal.views import portal


def media_context(user: Any) -> dict[str, Any]:
    """What My profile shows of the user's files."""
    rule = kind_limits(avatars.KIND)
    return {
        "avatar_types": ", ".join(sorted(rule.extensions)),
        "avatar_max": human_size(rule.max_bytes),
        "avatar_accept": ",".join(f".{ext}" for ext in sorted(rule.extensions)),
    }


def _files(field: str = "file") -> list[tuple[str, bytes]]:
    return [(item.filename or "", item.read()) for item in request.files.getlist(field) if item.filename]


def _refused(user: Any, error: AppError) -> Any:
    """My profile again, with the refusal, and the saved profile in its form."""
    from app.portal.profile import _saved_data, render_profile_form

    flash(error.message, "danger")
    return render_profile_form(user, _saved_data(user), {}, error.status_code)


@portal.route("/my/profile/avatar", methods=["POST"])
@login_required()
def upload_avatar() -> Any:
    """Replace my avatar with an uploaded image (jpg, png, webp)."""
    user = signed_in_user()
    try:
        with transaction():
            avatars.set_avatar(user, _files())
    except AppError as error:
        return _refused(user, error)
    flash(_("Your profile picture was changed."), "success")
    return redirect(url_for("portal.my_profile"))


@portal.route("/my/profile/avatar/remove", methods=["POST"])
@login_required()
def remove_avatar() -> Any:
    """Delete my avatar: my initials are shown instead."""
    user = signed_in_user()
    with transaction():
        avatars.remove_avatar(user)
    flash(_("Your profile picture was removed."), "success")
    return redirect(url_for("portal.my_profile"))
