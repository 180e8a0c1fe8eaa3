"""Profile form: what every user may change about themselves."""

from __future__ import annotations

import zoneinfo
from typing import Any

from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from app.core.references import lookup_choices

LOCALE_CHOICES = [("en", "English"), ("ar", "العربية")]


def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA timezone, UTC first."""
    zones = sorted(zoneinfo.available_timezones() - {"UTC"})
    return [("UTC", "UTC")] + [(zone, zone) for zone in zones]


def gender_choices() -> list[tuple[str, str]]:
    """A "not given" choice, then the active `genders` lookup values named in the current language."""
    locale = get_locale()
    arabic = locale is not None and locale.language == "ar"
    values = [(str(pk), ar if arabic and ar else en) for pk, en, ar in lookup_choices("genders")]
    return [("", gettext("Prefer not to say")), *values]


def optional_id(value: Any) -> int | None:
    """A select's value as a row id; empty means none."""
    return int(value) if value not in (None, "", "None") else None


# Arabic text typed on an English page too: right to left and announced as Arabic.
ARABIC_INPUT = {"dir": "rtl", "lang": "ar"}
# Names, addresses and numbers written in Latin letters on an Arabic page too (`dir=auto`).
LATIN_INPUT = {"dir": "auto", "autocapitalize": "none", "spellcheck": "false"}


class ProfileForm(DynamicForm):
    """First and last name, e-mail (changed by a confirmation link), the name in Arabic, gender,
    language, timezone, phone and bio."""

    first_name = StringField(
        _l("First Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    last_name = StringField(
        _l("Last Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    email = StringField(
        _l("Email"),
        description=_l("A new address is used once you open the link we e-mail to it."),
        validators=[Optional(), Email(), Length(max=320)],
        widget=BS3TextFieldWidget(),
        render_kw={**LATIN_INPUT, "type": "email", "autocomplete": "email"},
    )
    name_ar = StringField(
        _l("Full name in Arabic"),
        description=_l("Printed on your certificates in Arabic."),
        validators=[Optional(), Length(max=200)],
        filters=[lambda value: (value or "").strip() or None],
        widget=BS3TextFieldWidget(),
        render_kw=ARABIC_INPUT,
    )
    gender_id = SelectField(
        _l("Gender"),
        description=_l("Used for the grammar of Arabic certificates."),
        choices=gender_choices,
        coerce=optional_id,
        widget=Select2Widget(),
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, widget=Select2Widget())
    timezone = SelectField(_l("Timezone"), choices=timezone_choices(), widget=Select2Widget())
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32), Regexp(r"^\+?[0-9 ()-]{6,32}$")],
        widget=BS3TextFieldWidget(),
        render_kw={**LATIN_INPUT, "type": "tel", "autocomplete": "tel"},
    )
    bio = TextAreaField(_l("Bio"), validators=[Optional(), Length(max=2000)], widget=BS3TextAreaFieldWidget())


class RegistrationForm(DynamicForm):
    """Self-registration: no remote captcha (nothing remote is reachable), our password policy."""

    username = StringField(
        _l("User Name"),
        validators=[DataRequired(), Length(min=3, max=64), Regexp(r"^[A-Za-z0-9_.-]+$")],
        widget=BS3TextFieldWidget(),
        render_kw={**LATIN_INPUT, "autocomplete": "username"},
    )
    first_name = StringField(
        _l("First Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    last_name = StringField(
        _l("Last Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    email = StringField(
        _l("Email"),
        validators=[DataRequired(), Email(), Length(max=320)],
        widget=BS3TextFieldWidget(),
        render_kw={**LATIN_INPUT, "type": "email", "autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget(),
    )
    conf_password = PasswordField(
        _l("Confirm Password"),
        validators=[EqualTo("password", message=_l("Passwords must match"))],
        widget=BS3PasswordFieldWidget(),
    )


class ForgotPasswordForm(DynamicForm):
    """The address a reset link is mailed to (any address an account may hold: no stricter check)."""

    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter a valid e-mail address.")),
            Length(max=320),
        ],
        widget=BS3TextFieldWidget(),
        render_kw={**LATIN_INPUT, "type": "email", "autocomplete": "email"},
    )


class NewPasswordForm(DynamicForm):
    """A new password, twice (the policy is checked by the service: app/security/passwords.py)."""

    password = PasswordField(_l("New password"), validators=[DataRequired()], widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        _l("Confirm Password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords must match"))],
        widget=BS3PasswordFieldWidget(),
    )
