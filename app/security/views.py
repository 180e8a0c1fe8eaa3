"""Sign-in; back-office user screens: list/edit with status, suspend/ban/restore/reset, own profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.registerviews import RegisterUserDBView
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import (
    RoleModelView,
    UserDBModelView,
    UserInfoEditView,
)
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import login_user
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from app.core.bidi import mark_input_directions
from app.core.choices import setup_choice_fields
from app.core.display import code_formatter
from app.core.errors import AppError, Conflict
from app.core.formatters import default_formatters, format_user_datetime
from app.core.transactions import transaction
from app.core.views import BaseModelView
from app.security import accounts, services
from app.security.accounts import TooManyRequests
from app.security.forms import ARABIC_INPUT, ForgotPasswordForm, ProfileForm, RegistrationForm
from app.security.ratelimit import spend_budget
from app.security.signals import user_registered

USER_LIST_COLUMNS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "roles",
    "status",
    "last_login",
]


class AuthDBView(FabAuthDBView):
    """FAB's form login in the portal's look, landing each person where they have work to do.

    It keeps FAB's class name, which names its endpoints: templates, the portal and the login
    throttle use `AuthDBView.login`.
    """

    login_template = "security/login.html"

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        """Sign in, then go to the page asked for by `next`, or to the person's home."""
        next_url = request.args.get("next")
        if g.user is not None and g.user.is_authenticated:
            return redirect(services.landing_url(g.user, next_url))
        form = LoginForm_db()
        if form.validate_on_submit():
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(str(self.invalid_login_message), "warning")
                return redirect(url_for(".login", next=services.safe_next(next_url)))
            login_user(user, remember=False)
            return redirect(services.landing_url(user, next_url))
        return self.render_template(
            self.login_template, title=self.title, form=form, appbuilder=self.appbuilder
        )

    @expose("/forgot-password/", methods=["GET", "POST"])
    @no_cache
    def forgot_password(self) -> Any:
        """Ask for a reset link by e-mail. Known and unknown addresses get the same answer, so the
        page never tells who has an account; requests are limited per IP address."""
        form = ForgotPasswordForm()
        sent = False
        if request.method == "POST":
            if not spend_budget("PASSWORD_RESET_RATE_LIMIT", "password-reset", get_remote_address()):
                raise TooManyRequests(gettext("Too many requests. Please wait a moment and try again."))
            if form.validate_on_submit():
                with transaction():
                    accounts.request_password_reset(form.email.data)
                sent = True
        page = self.render_template(
            "security/forgot_password.html", form=form, sent=sent, appbuilder=self.appbuilder
        )
        return page, 422 if form.errors else 200


def roles_required(_form: Any, field: Any) -> None:
    """At least one role (FAB's check also reads a groups field these forms do not have)."""
    if not field.data:
        raise ValidationError(gettext("Choose at least one role."))


class LmsUserDBModelView(UserDBModelView):
    """FAB's user screen plus status, profile columns, and row-safe moderation actions."""

    validators_columns = {"roles": [roles_required]}
    list_columns = USER_LIST_COLUMNS
    search_columns = ["username", "first_name", "last_name", "name_ar", "email", "roles", "status", "active"]
    edit_columns = [
        "first_name",
        "last_name",
        "name_ar",
        "gender",
        "username",
        "active",
        "email",
        "roles",
        "status",
        "locale",
        "timezone",
        "phone",
        "bio",
    ]
    add_columns = [
        "first_name",
        "last_name",
        "name_ar",
        "gender",
        "username",
        "active",
        "email",
        "roles",
        "locale",
        "timezone",
        "password",
        "conf_password",
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "status": _l("Status"),
        "name_ar": _l("Full name in Arabic"),
        "gender": _l("Gender"),
        "locale": _l("Language"),
        "timezone": _l("Timezone"),
        "phone": _l("Phone"),
        "bio": _l("Bio"),
    }
    formatters_columns = {"last_login": format_user_datetime, "locale": code_formatter("language")}
    description_columns = {
        **UserDBModelView.description_columns,
        "name_ar": _l("Printed on certificates in Arabic."),
        "gender": _l("Used for the grammar of Arabic certificates."),
    }
    edit_form_extra_fields = {
        "name_ar": StringField(
            _l("Full name in Arabic"),
            validators=[Optional(), Length(max=200)],
            filters=[lambda value: (value or "").strip() or None],
            widget=BS3TextFieldWidget(),
            render_kw=ARABIC_INPUT,
        )
    }
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, **edit_form_extra_fields}

    show_fieldsets = [
        (
            _l("User info"),
            {"fields": ["username", "active", "status", "roles", "login_count"]},
        ),
        (
            _l("Personal Info"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "name_ar",
                    "gender",
                    "email",
                    "locale",
                    "timezone",
                    "phone",
                    "bio",
                ]
            },
        ),
        (
            _l("Audit"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"]},
        ),
    ]
    method_permission_name = {
        "suspend_users": "suspend",
        "ban_users": "suspend",
        "restore_users": "suspend",
        "reset_users_password": "resetpasswords",
    }

    def __init__(self, **kwargs: Any) -> None:
        BaseModelView._setup_lookup_fields(self, self.datamodel.obj)
        setup_choice_fields(self, self.datamodel.obj)  # language and timezone as lists
        # The security manager sets the datamodel after the class is made: words for every column now.
        self.formatters_columns = default_formatters(
            self.datamodel.obj, self.label_columns, self.formatters_columns
        )
        super().__init__(**kwargs)
        for form in (self.add_form, self.edit_form):
            mark_input_directions(form)

    def _get_scoped(self, pk: Any) -> Any:
        """The row for an action; `restore_users` also reaches soft-deleted accounts."""
        item = super()._get_scoped(pk)
        restoring = request.form.get("action") == "restore_users" or (
            (request.view_args or {}).get("name") == "restore_users"
        )
        if item is None and restoring and str(pk).isdigit():
            model = self.datamodel.obj
            stmt = select(model).where(model.id == int(pk)).execution_options(include_deleted=True)
            item = self.datamodel.session.scalars(stmt).one_or_none()
        return item

    def pre_delete(self, item: Any) -> None:
        """Admins cannot delete (and so lock out) their own account."""
        if item.id == g.user.id:
            raise Conflict(gettext("You cannot delete your own account."))

    def _run(self, items: Any, func: Any, done: Callable[[int], str]) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        for user in items:
            try:
                func(user)
                count += 1
            except AppError as exc:
                flash(f"{user.username}: {exc.message}", "danger")
        flash(done(count), "success")
        return redirect(self.get_redirect())

    @fab_action("suspend_users", _l("Suspend"), _l("Suspend the selected users?"), "fa-ban")
    def suspend_users(self, items: Any) -> Any:
        """Suspend: the users are signed out everywhere and cannot sign in."""
        return self._run(
            items,
            lambda u: services.suspend_user(u, g.user.id),
            lambda n: gettext("%(count)d user(s) suspended.", count=n),
        )

    @fab_action("ban_users", _l("Ban"), _l("Ban the selected users?"), "fa-user-slash")
    def ban_users(self, items: Any) -> Any:
        """Ban the selected users."""
        return self._run(
            items,
            lambda u: services.ban_user(u, g.user.id),
            lambda n: gettext("%(count)d user(s) banned.", count=n),
        )

    @fab_action("restore_users", _l("Restore"), _l("Restore the selected users?"), "fa-undo")
    def restore_users(self, items: Any) -> Any:
        """Make the selected users active again."""
        return self._run(
            items, services.restore_user, lambda n: gettext("%(count)d user(s) restored.", count=n)
        )

    @fab_action(
        "reset_users_password",
        _l("Reset password"),
        _l("Give the selected users a new one-time password?"),
        "fa-key",
    )
    def reset_users_password(self, items: Any) -> Any:
        """Generate one-time passwords and show them once to the admin."""
        items = items if isinstance(items, list) else [items]
        for user in items:
            password = services.reset_password(user)
            flash(
                gettext("New password for %(user)s: %(password)s", user=user.username, password=password),
                "warning",
            )
        return redirect(self.get_redirect())


class _FormColumnsWithoutCsrf:
    """FAB fixes a form view's columns at its first render: rendered with CSRF on, `csrf_token`
    became one of them, and every later render without CSRF failed (the field is absent). The token
    is rendered by the form's `hidden_tag()` anyway."""

    form_columns: list[str]

    def _init_vars(self) -> None:
        super()._init_vars()  # type: ignore[misc]
        self.form_columns = [name for name in self.form_columns if name != "csrf_token"]


class LmsUserInfoEditView(_FormColumnsWithoutCsrf, UserInfoEditView):
    """Each user edits their own profile, language and timezone."""

    form = ProfileForm
    redirect_url = "/admin/"

    def form_post(self, form: Any) -> None:
        """Save the profile and apply the language at once. A new e-mail address is only requested:
        the account keeps its address until the link mailed to the new one is opened."""
        form = self.form.refresh(request.form)
        new_email = (form.email.data or "").strip()
        del form["email"]
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        with transaction():
            form.populate_obj(user)
            self.appbuilder.sm.session.flush()
        flash(str(self.message), "info")
        session["locale"] = form.locale.data
        if new_email and new_email.lower() != (user.email or "").lower():
            try:
                with transaction():
                    accounts.request_email_change(user, new_email)
            except AppError as error:
                flash(error.message, "danger")
            else:
                flash(
                    gettext(
                        "We have sent a link to %(email)s. Your address changes when you open it.",
                        email=new_email,
                    ),
                    "warning",
                )


class LmsRegisterUserDBView(_FormColumnsWithoutCsrf, RegisterUserDBView):
    """Self-registration creates an active Student account at once, with its address unverified."""

    form = RegistrationForm
    redirect_url = "/login/"

    def form_get(self, form: Any) -> None:
        """Nothing to prefill."""

    def form_post(self, form: Any) -> Any:
        """Create the account with the registration role, or say why not."""
        sm = self.appbuilder.sm
        if sm.find_user(username=form.username.data) or sm.find_user(email=form.email.data):
            flash(gettext("This user name or email is already registered."), "danger")
            return redirect(url_for(".this_form_get"))
        with transaction():
            user = sm.add_user(
                username=form.username.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                email=form.email.data,
                role=sm.find_role(current_app.config["AUTH_USER_REGISTRATION_ROLE"]),
                password=form.password.data,
                commit=False,
            )
            if user:
                # The only unverified accounts: the address must be proved by the link mailed to it.
                user.email_verified_at = None
                locale = get_locale()  # the language of the sign-up is the account's (and its mails')
                if locale is not None and locale.language in current_app.config["LANGUAGES"]:
                    user.locale = locale.language
                sm.session.flush()
                user_registered.send(user)  # in this transaction: listeners' rows commit with it
                accounts.send_verification(user)
        if not user:
            flash(gettext("Registration failed. Please try again."), "danger")
            return redirect(url_for(".this_form_get"))
        flash(
            gettext(
                "Your account is ready. We have sent a link to %(email)s: open it to confirm your address, "
                "then sign in.",
                email=user.email,
            ),
            "success",
        )
        return redirect(self.redirect_url)


class LmsRoleModelView(RoleModelView):
    """FAB's role screen with every column label translated (its filters showed raw names)."""

    class_permission_name = "RoleModelView"
    label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}
    formatters_columns = {"name": code_formatter("role")}
