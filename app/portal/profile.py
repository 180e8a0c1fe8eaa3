"""Portal profile pages: My profile (/my/profile) and the public profile (/u/<username>).

Routes only: the rules are `app.security.profiles` (fields, privacy) and the media library's
avatar and CV services.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.core.errors import AppError, NotFound
from app.core.portal import login_required, signed_in_user
from app.core.transactions import transaction
from app.core.translations import current_language
from app.engagement.services.views import record_view
from app.lookups.services import values_of
from app.portal.views import portal
from app.security import accounts, profiles

LINK_ROWS = profiles.MAX_LINKS
TEXT_FIELDS = ("first_name", "last_name", "name_ar", "headline", "bio", "locale", "timezone", "phone")


def _form_data() -> dict[str, Any]:
    """The posted profile form as `update_profile` takes it."""
    form = request.form
    links = [
        {"label": form.get(f"link_label_{index}", ""), "url": form.get(f"link_url_{index}", "")}
        for index in range(LINK_ROWS)
    ]
    return {
        **{key: form.get(key, "") for key in TEXT_FIELDS},
        "gender_id": form.get("gender_id", ""),
        "links": links,
        "privacy": {field: form.get(f"privacy_{field}", "") for field in profiles.FIELDS},
    }


def _saved_data(user: Any) -> dict[str, Any]:
    """What the form shows for the saved profile."""
    return {
        "first_name": user.first_name or "",
        "last_name": user.last_name or "",
        "name_ar": user.name_ar or "",
        "headline": user.headline or "",
        "bio": user.bio or "",
        "locale": user.locale,
        "timezone": user.timezone,
        "phone": user.phone or "",
        "gender_id": str(user.gender_id or ""),
        "links": list(user.links or []),
        "privacy": profiles.privacy_of(user),
    }


def _genders(language: str) -> list[tuple[str, str]]:
    return [
        (str(value.id), value.name_ar if language == "ar" and value.name_ar else value.name_en)
        for value in values_of("genders")
    ]


def render_profile_form(
    user: Any, data: dict[str, Any], errors: dict[str, Any], status: int = 200, new_email: str = ""
) -> Any:
    """My profile with these values and errors (shared by the avatar and CV routes' refusals)."""
    from app.portal.profile_media import media_context

    language = current_language()
    zones = profiles.timezone_choices(language)
    if data["timezone"] and data["timezone"] not in dict(zones):
        zones.append((data["timezone"], data["timezone"]))  # one set elsewhere stays choosable
    links = list(data.get("links") or [])
    links += [{"label": "", "url": ""}] * (LINK_ROWS - len(links))
    page = render_template(
        "portal/my_profile.html",
        user=user,
        data=data,
        links=links[:LINK_ROWS],
        errors=errors,
        zones=zones,
        genders=_genders(language),
        languages=[("en", "English"), ("ar", "العربية")],
        fields=profiles.FIELDS,
        field_labels=profiles.FIELD_LABELS,
        levels=profiles.LEVEL_LABELS,
        max_bio=profiles.MAX_BIO,
        new_email=new_email,
        **media_context(user),
    )
    return page, status


@portal.route("/my/profile", methods=["GET", "POST"])
@login_required()
def my_profile() -> Any:
    """Edit my profile; a refused form comes back (422) with what was typed and each error."""
    user = signed_in_user()
    if request.method == "GET":
        return render_profile_form(user, _saved_data(user), {})
    data = _form_data()
    try:
        with transaction():
            profiles.update_profile(user, data)
    except AppError as error:
        flash(error.message, "danger")
        return render_profile_form(user, data, error.errors, error.status_code)
    session["locale"] = user.locale  # the chosen language applies at once
    flash(_("Your profile was saved."), "success")
    return redirect(url_for("portal.my_profile"))


@portal.route("/my/profile/email", methods=["POST"])
@login_required()
def change_email() -> Any:
    """Ask for a new address: a confirmation link goes to it, a notice to the current one."""
    user = signed_in_user()
    new_email = request.form.get("new_email", "").strip()
    try:
        with transaction():
            accounts.request_email_change(user, new_email)
    except AppError as error:
        flash(error.message, "danger")
        errors = {"new_email": error.errors.get("email") or [error.message]}
        return render_profile_form(user, _saved_data(user), errors, error.status_code, new_email=new_email)
    flash(
        _(
            "We sent a confirmation link to %(email)s. Your address changes when you open it.",
            email=new_email,
        ),
        "success",
    )
    return redirect(url_for("portal.my_profile") + "#email-change")


@portal.route("/u/<username>")
def public_profile(username: str) -> Any:
    """A member's profile as the viewer may see it (visitors: public fields only)."""
    try:
        user = profiles.public_user(username)
    except NotFound:
        abort(404)
    viewer = signed_in_user()
    language = current_language()
    if viewer is not None and viewer.id != user.id:  # members' views of others (PRD 3.13.1 "viewed")
        record_view("user", user.id, viewer, target=user)
    return render_template(
        "portal/public_profile.html",
        person=user,
        profile=profiles.visible_profile(viewer, user, language),
        languages={"en": "English", "ar": "العربية"},
    )


from app.portal import profile_media  # noqa: E402, F401  (same blueprint)
