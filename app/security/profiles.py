"""A user's own profile: the rules of editing it and what each viewer may see of it.

Each field of the public profile (/u/<username>) carries its own privacy: `public` (anyone),
`signed_in` (members) or `private` (only the user). Missing entries use DEFAULT_PRIVACY, so accounts
made before profiles existed show their name, headline and avatar and nothing else to visitors.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import Invalid, NotFound
from app.core.html import checked_url
from app.core.translations import LANGUAGES
from app.extensions import db
from app.lookups.services import values_of
from app.security.models import LmsUser

PUBLIC, SIGNED_IN, PRIVATE = "public", "signed_in", "private"
LEVELS = (PUBLIC, SIGNED_IN, PRIVATE)
LEVEL_LABELS = {PUBLIC: _l("Everyone"), SIGNED_IN: _l("Signed-in members"), PRIVATE: _l("Only me")}
# Field -> who sees it unless the user chose otherwise.
DEFAULT_PRIVACY = {
    "name": PUBLIC,
    "headline": PUBLIC,
    "avatar": PUBLIC,
    "bio": SIGNED_IN,
    "language": SIGNED_IN,
    "timezone": PRIVATE,
    "links": PRIVATE,
    "phone": PRIVATE,
    "email": PRIVATE,
}
FIELDS = tuple(DEFAULT_PRIVACY)
FIELD_LABELS = {
    "name": _l("Name"),
    "headline": _l("Headline"),
    "avatar": _l("Profile picture"),
    "bio": _l("About me"),
    "language": _l("Language"),
    "timezone": _l("Timezone"),
    "links": _l("Links"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
}
MAX_BIO = 2000
MAX_HEADLINE = 200
MAX_NAME = 64
MAX_NAME_AR = 200
MAX_LINKS = 5
MAX_LINK_LABEL = 60
PHONE = re.compile(r"^\+?[0-9 ()-]{6,32}$")


def privacy_of(user: Any) -> dict[str, str]:
    """Every field's privacy level (the user's choices over the defaults; unknown levels are private)."""
    chosen = getattr(user, "profile_privacy", None) or {}
    return {field: str(chosen.get(field) or level) for field, level in DEFAULT_PRIVACY.items()}


def _viewer_id(viewer: Any) -> int | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return getattr(viewer, "id", None)


def is_owner(viewer: Any, user: Any) -> bool:
    """True when the viewer is the profile's user."""
    viewer_id = _viewer_id(viewer)
    return viewer_id is not None and viewer_id == getattr(user, "id", None)


def may_see(viewer: Any, user: Any, field: str) -> bool:
    """Whether the viewer may see one field of the user's profile."""
    if is_owner(viewer, user):
        return True
    level = privacy_of(user).get(field, PRIVATE)
    if level == PUBLIC:
        return True
    return level == SIGNED_IN and _viewer_id(viewer) is not None


def display_name(user: Any, language: str = "en") -> str:
    """The name people know the user by (the Arabic name on Arabic pages when given)."""
    if language == "ar" and getattr(user, "name_ar", None):
        return str(user.name_ar)
    full = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    return full or str(user.username)


def timezone_choices(language: str = "en") -> list[tuple[str, str]]:
    """(IANA zone, name in the language) of the active `timezones` lookup values."""
    choices = []
    for value in values_of("timezones"):
        if value.timezone:
            name = value.name_ar if language == "ar" and value.name_ar else value.name_en
            choices.append((value.timezone, name))
    return choices


def visible_profile(viewer: Any, user: Any, language: str = "en") -> dict[str, Any]:
    """The profile as this viewer may see it: only the fields their level allows (the owner: all)."""
    shown = {field for field in FIELDS if may_see(viewer, user, field)}
    zones = dict(timezone_choices(language))
    values: dict[str, Any] = {
        "name": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "name_ar": user.name_ar,
            "display": display_name(user, language),
        },
        "headline": user.headline,
        "avatar": user.avatar_media_id is not None,
        "bio": user.bio,
        "language": user.locale,
        "timezone": {"zone": user.timezone, "name": zones.get(user.timezone, user.timezone)},
        "links": list(user.links or []),
        "phone": user.phone,
        "email": user.email,
    }
    profile: dict[str, Any] = {field: values[field] for field in FIELDS if field in shown}
    profile["username"] = user.username
    profile["title"] = values["name"]["display"] if "name" in shown else user.username
    profile["is_owner"] = is_owner(viewer, user)
    return profile


def public_user(username: str) -> LmsUser:
    """The active user of a profile address, or NotFound (unknown, deleted, suspended, banned)."""
    user = db.session.scalar(select(LmsUser).where(LmsUser.username == username))
    if user is None or not user.is_active:
        raise NotFound(_("No such profile."))
    return user


# --------------------------------------------------------------------------------------- editing


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value).strip() if value is not None else ""


def _check_links(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """[{label, url}]: absolute http(s) addresses only, at most MAX_LINKS; empty rows dropped."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors["links"] = [_("Links must be a list of labels and addresses.")]
        return []
    links: list[dict[str, str]] = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        label = str(item.get("label") or "").strip()
        url = str(item.get("url") or "").strip()
        if not label and not url:
            continue
        key = f"links.{index}"
        if not url:
            errors[key] = [_("Give the address of this link.")]
            continue
        try:
            url = checked_url(url, key) or ""
        except Invalid:
            errors[key] = [_("Use an address that starts with http:// or https://.")]
            continue
        if len(label) > MAX_LINK_LABEL:
            errors[key] = [_("A link's label has at most %(count)d characters.", count=MAX_LINK_LABEL)]
            continue
        links.append({"label": label or url, "url": url})
    if len(links) > MAX_LINKS:
        errors["links"] = [_("At most %(count)d links.", count=MAX_LINKS)]
    return links


def _check_privacy(raw: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    chosen = raw if isinstance(raw, dict) else {}
    privacy = {}
    for field, default in DEFAULT_PRIVACY.items():
        level = chosen.get(field) or default
        if level not in LEVELS:
            errors[f"privacy.{field}"] = [_("Choose who may see this.")]
            continue
        privacy[field] = level
    return privacy


def _check_length(errors: dict[str, list[str]], key: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[key] = [_("At most %(count)d characters.", count=limit)]


def update_profile(user: LmsUser, data: dict[str, Any]) -> LmsUser:
    """Check every field first, then save them all (flush only); Invalid lists each bad field.

    `data`: first_name, last_name, name_ar, headline, bio, locale, timezone (an IANA zone of the
    `timezones` lookup, or the one the user already has), phone, gender_id, links [{label, url}],
    privacy {field: level}.
    """
    errors: dict[str, list[str]] = {}
    first, last = _text(data, "first_name"), _text(data, "last_name")
    for key, value in (("first_name", first), ("last_name", last)):
        if not value:
            errors[key] = [_("This field is required.")]
        _check_length(errors, key, value, MAX_NAME)
    name_ar, headline, bio = _text(data, "name_ar"), _text(data, "headline"), _text(data, "bio")
    _check_length(errors, "name_ar", name_ar, MAX_NAME_AR)
    _check_length(errors, "headline", headline, MAX_HEADLINE)
    _check_length(errors, "bio", bio, MAX_BIO)
    locale = _text(data, "locale") or user.locale
    if locale not in LANGUAGES:
        errors["locale"] = [_("Choose English or Arabic.")]
    zone = _text(data, "timezone") or user.timezone
    if zone != user.timezone and zone not in dict(timezone_choices()):
        errors["timezone"] = [_("Choose a timezone from the list.")]
    phone = _text(data, "phone")
    if phone and not PHONE.match(phone):
        errors["phone"] = [_("Use digits, spaces, brackets and dashes, optionally starting with +.")]
    gender_id = _gender(data.get("gender_id"), errors)
    links = _check_links(data.get("links"), errors)
    privacy = _check_privacy(data.get("privacy"), errors)
    if errors:
        raise Invalid(_("Please correct the marked fields."), errors)
    user.first_name, user.last_name = first, last
    user.name_ar, user.headline, user.bio = name_ar or None, headline or None, bio or None
    user.locale, user.timezone, user.phone = locale, zone, phone or None
    if "gender_id" in data:
        user.gender_id = gender_id
    user.links, user.profile_privacy = links, privacy
    db.session.flush()
    return user


def _gender(raw: Any, errors: dict[str, list[str]]) -> int | None:
    if raw in (None, "", "None"):
        return None
    allowed = {value.id for value in values_of("genders")}
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value not in allowed:
        errors["gender_id"] = [_("Choose a value from the list.")]
        return None
    return value
