"""Portal routes of the profile's files: the avatar and the CVs, through the media library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.core.errors import AppError
from app.core.portal import login_required, signed_in_user
from app.core.transactions import transaction
from app.media import avatars, cvs
from app.media.services import kind_limits
from app.media.validation import human_size
from app.portal.views import portal


def media_context(user: Any) -> dict[str, Any]:
    """What My profile shows of the user's files."""
    rule = kind_limits(avatars.KIND)
    default = cvs.default_cv(user)
    return {
        "cv_count": len(cvs.user_cvs(user)),
        "default_cv_title": cvs.title_of(default) if default is not None else None,
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


# ---- CVs -----------------------------------------------------------------------------------------
def _cv_page(user: Any, status: int = 200, typed: dict[str, Any] | None = None) -> Any:
    """My CVs, with what was typed in a refused form kept (`typed`: {"title" or media id: text})."""
    rule = kind_limits(cvs.KIND)
    mine = cvs.user_cvs(user)
    default = cvs.default_cv(user)
    page = render_template(
        "portal/my_cvs.html",
        user=user,
        cvs=[
            {
                "id": media.id,
                "title": cvs.title_of(media),
                "filename": media.original_filename,
                "size": human_size(media.size),
                "uploaded": media.created_at,
                "default": default is not None and default.id == media.id,
            }
            for media in mine
        ],
        typed=typed or {},
        max_cvs=cvs.max_cvs(),
        full=len(mine) >= cvs.max_cvs(),
        cv_types=", ".join(sorted(rule.extensions)),
        cv_max=human_size(rule.max_bytes),
        cv_accept=",".join(f".{ext}" for ext in sorted(rule.extensions)),
    )
    return page, status


def _cv_action(action: Callable[[Any], Any], done: str, typed: dict[str, Any] | None = None) -> Any:
    """Run one CV change in a transaction: its refusal re-renders the page with its status (404 for
    a CV that is not the user's), success flashes `done` and goes back to the list."""
    user = signed_in_user()
    try:
        with transaction():
            action(user)
    except AppError as error:
        flash(error.message, "danger")
        return _cv_page(user, error.status_code, typed)
    flash(done, "success")
    return redirect(url_for("portal.my_cvs"))


@portal.route("/my/profile/cvs", methods=["GET", "POST"])
@login_required()
def my_cvs() -> Any:
    """My CVs: list them; POST uploads one more (pdf, doc, docx)."""
    if request.method == "GET":
        return _cv_page(signed_in_user())
    title = request.form.get("title", "")
    return _cv_action(
        lambda user: cvs.upload_cv(user, _files(), title), _("Your CV was added."), {"title": title}
    )


@portal.route("/my/profile/cvs/<int:media_id>/rename", methods=["POST"])
@login_required()
def rename_cv(media_id: int) -> Any:
    """Give one of my CVs a name."""
    title = request.form.get("title", "")
    return _cv_action(
        lambda user: cvs.rename_cv(user, media_id, title), _("The CV was renamed."), {media_id: title}
    )


@portal.route("/my/profile/cvs/<int:media_id>/default", methods=["POST"])
@login_required()
def default_cv(media_id: int) -> Any:
    """Make one of my CVs the default (offered first when I apply for a job)."""
    return _cv_action(lambda user: cvs.set_default_cv(user, media_id), _("This is now your default CV."))


@portal.route("/my/profile/cvs/<int:media_id>/delete", methods=["POST"])
@login_required()
def delete_cv(media_id: int) -> Any:
    """Delete one of my CVs."""
    return _cv_action(lambda user: cvs.delete_cv(user, media_id), _("The CV was deleted."))


@portal.route("/my/profile/cvs/<int:media_id>/download")
@login_required()
def download_cv(media_id: int) -> Any:
    """Download one of my CVs through a signed, short-lived link."""
    user = signed_in_user()
    try:
        with transaction():
            url = cvs.cv_link(user, media_id)
    except AppError as error:
        flash(error.message, "danger")
        return _cv_page(user, error.status_code)
    return redirect(url)
