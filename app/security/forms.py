"""Profile form: what every user may change about themselves."""

from __future__ import annotations

import zoneinfo

from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

LOCALE_CHOICES = [("en", "English"), ("ar", "العربية")]


def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA timezone, UTC first."""
    zones = sorted(zoneinfo.available_timezones() - {"UTC"})
    return [("UTC", "UTC")] + [(zone, zone) for zone in zones]


class ProfileForm(DynamicForm):
    """First and last name, language, timezone, phone and bio."""

    first_name = StringField(
        _l("First Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    last_name = StringField(
        _l("Last Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, widget=Select2Widget())
    timezone = SelectField(_l("Timezone"), choices=timezone_choices(), widget=Select2Widget())
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32), Regexp(r"^\+?[0-9 ()-]{6,32}$")],
        widget=BS3TextFieldWidget(),
    )
    bio = TextAreaField(_l("Bio"), validators=[Optional(), Length(max=2000)], widget=BS3TextAreaFieldWidget())


class RegistrationForm(DynamicForm):
    """Self-registration: no remote captcha (nothing remote is reachable), our password policy."""

    username = StringField(
        _l("User Name"),
        validators=[DataRequired(), Length(min=3, max=64), Regexp(r"^[A-Za-z0-9_.-]+$")],
        widget=BS3TextFieldWidget(),
    )
    first_name = StringField(
        _l("First Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    last_name = StringField(
        _l("Last Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget()
    )
    email = StringField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=320)], widget=BS3TextFieldWidget()
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
