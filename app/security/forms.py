"""Profile form: what every user may change about themselves."""

from __future__ import annotations

import zoneinfo

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

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
