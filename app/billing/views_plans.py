"""Plans (bilingual name and description, price, cycle, trial, order) and the features each plan gives."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, Form, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, Regexp

from app.billing.models import Plan, PlanFeature
from app.billing.services import plans
from app.billing.views_base import COMMON_LABELS, BillingModelView
from app.core.interface import SQLAInterface

PLAN_LABELS = {
    **COMMON_LABELS,
    "billing_cycle": _l("Billing cycle"),
    "trial_days": _l("Trial days"),
    "is_active": _l("Active"),
    "sort_order": _l("Order"),
    "features": _l("Features"),
}
FEATURE_LABELS = {
    **COMMON_LABELS,
    "feature": _l("Feature"),
    "enabled": _l("Enabled"),
    "limit_value": _l("Limit"),
}


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def currency_code(form: Form, field: Field) -> None:
    """An ISO 4217 currency code (USD, SAR, EUR...)."""
    if field.data and not plans.valid_currency(field.data):
        raise ValidationError(gettext("Use a three-letter ISO currency code such as USD or SAR."))


def feature_not_repeated(form: Form, field: Field) -> None:
    """A plan lists each feature once (deleted rows aside)."""
    plan, feature = getattr(form, "plan", None), field.data
    if plan is None or plan.data is None or feature is None:
        return
    editing = getattr(form, "_id", None)
    if plans.feature_taken(plan.data.id, feature.id, int(editing) if editing is not None else None):
        raise ValidationError(gettext("This plan already has this feature; edit that row instead."))


def limit_fits_feature(form: Form, field: Field) -> None:
    """Only counted features (courses, downloads, job postings, event registrations) take a limit."""
    feature = getattr(form, "feature", None)
    lookup = feature.data if feature is not None else None
    if field.data is None or lookup is None:
        return
    if not plans.takes_limit(lookup):
        raise ValidationError(gettext("This feature is on or off; leave the limit empty."))


class PlanFeatureModelView(BillingModelView):
    """What each plan gives: a feature on or off and, for counted features, a limit per period."""

    datamodel = SQLAInterface(PlanFeature)
    class_permission_name = "PlanFeatureAdmin"
    list_title = _l("Plan features")
    show_title = _l("Plan feature")
    add_title = _l("Add plan feature")
    edit_title = _l("Edit plan feature")
    label_columns = FEATURE_LABELS
    list_columns = ["plan", "feature", "enabled", "limit_value"]
    show_columns = ["plan", "feature", "enabled", "limit_value", "created_at", "updated_at"]
    add_columns = edit_columns = ["plan", "feature", "enabled", "limit_value"]
    search_columns = ["plan", "feature", "enabled", "limit_value"]
    base_order = ("plan_id", "asc")
    add_form_extra_fields = edit_form_extra_fields = {"enabled": BooleanField(_l("Enabled"), default=True)}
    validators_columns = {
        "feature": [feature_not_repeated],
        "limit_value": [
            Optional(),
            NumberRange(min=0, message=_l("The limit cannot be negative.")),
            limit_fits_feature,
        ],
    }
    description_columns = {
        "limit_value": _l("Uses per subscription period. Empty: unlimited. Only for counted features."),
    }
    formatters_columns = {"limit_value": lambda value: gettext("Unlimited") if value is None else value}

    def pre_add(self, item: PlanFeature) -> None:
        """The service's rules decide (the form's validators only show problems early)."""
        super().pre_add(item)
        plans.check_plan_feature(item)

    def pre_update(self, item: PlanFeature) -> None:
        """The service's rules decide."""
        super().pre_update(item)
        plans.check_plan_feature(item)


class PlanModelView(BillingModelView):
    """Subscription plans in both languages, their price per billing cycle, trial and order."""

    datamodel = SQLAInterface(Plan)
    class_permission_name = "PlanAdmin"
    list_title = _l("Plans")
    show_title = _l("Plan")
    add_title = _l("Add plan")
    edit_title = _l("Edit plan")
    label_columns = PLAN_LABELS
    list_columns = [
        "code",
        "name",
        "price",
        "currency",
        "billing_cycle",
        "trial_days",
        "is_active",
        "sort_order",
    ]
    show_columns = [
        "code",
        "name",
        "translations",
        "price",
        "currency",
        "billing_cycle",
        "trial_days",
        "is_active",
        "sort_order",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "code",
        "price",
        "currency",
        "billing_cycle",
        "trial_days",
        "is_active",
        "sort_order",
    ]
    search_columns = ["code", "price", "currency", "billing_cycle", "trial_days", "is_active"]
    order_columns = ["code", "price", "currency", "trial_days", "is_active", "sort_order"]
    base_order = ("sort_order", "asc")
    add_form_extra_fields = edit_form_extra_fields = {
        "currency": StringField(
            _l("Currency"),
            default="USD",
            filters=[_upper],
            widget=BS3TextFieldWidget(),
            validators=[InputRequired(), currency_code],
        ),
        "is_active": BooleanField(_l("Active"), default=True),
    }
    validators_columns = {
        "code": [
            Regexp(
                r"^[a-z0-9][a-z0-9_-]*$",
                message=_l("Use lower-case letters, digits, '-' and '_' (for example: premium-monthly)."),
            )
        ],
        "price": [NumberRange(min=0, message=_l("The price cannot be negative."))],
        "trial_days": [NumberRange(min=0, max=365, message=_l("From 0 to 365 days."))],
    }
    description_columns = {
        "code": _l("A stable identifier used by the system; it does not change with the language."),
        "price": _l("Per billing cycle."),
        "trial_days": _l("0: no trial. A user gets one trial only."),
        "sort_order": _l("Plans are shown from the lowest number."),
    }
    related_views = [PlanFeatureModelView]

    def pre_add(self, item: Plan) -> None:
        """The service's rules decide (the form's validators only show problems early)."""
        super().pre_add(item)
        plans.check_plan(item)

    def pre_update(self, item: Plan) -> None:
        """The service's rules decide."""
        super().pre_update(item)
        plans.check_plan(item)

    def _setup_translation_fields(self) -> None:
        """Every plan needs an English name (the fallback of every language)."""
        super()._setup_translation_fields()
        for attr in ("add_form_extra_fields", "edit_form_extra_fields"):
            fields = dict(getattr(self, attr))
            unbound = fields["name_en"]
            kwargs = {**unbound.kwargs, "validators": [DataRequired()]}
            fields["name_en"] = TextAreaField(*unbound.args, **kwargs)
            setattr(self, attr, fields)
