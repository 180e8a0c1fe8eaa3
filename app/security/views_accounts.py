"""The pages of account e-mail links: verify an address, set a new password, confirm a new address,
and the "resend" button of the verification banner. Rules live in app/security/accounts.py."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import no_cache
from flask_babel import gettext

from app.core.errors import Invalid
from app.core.transactions import transaction
from app.security import accounts, services
from app.security.forms import NewPasswordForm

MESSAGE_TEMPLATE = "security/account_message.html"


class AccountLinksView(BaseView):
    """Public pages opened from e-mails (each checks its signed token)."""

    route_base = ""
    default_view = "verify_email"

    def _message(self, title: str, message: str, status: int = 200) -> Any:
        return (
            self.render_template(MESSAGE_TEMPLATE, title=title, message=message, appbuilder=self.appbuilder),
            status,
        )

    @expose("/verify-email/<token>")
    @no_cache
    def verify_email(self, token: str) -> Any:
        """Mark the address verified (a second click says it already is)."""
        with transaction():
            _user, changed = accounts.verify_email(token)
        if changed:
            return self._message(
                gettext("E-mail address verified"),
                gettext("Thank you: your e-mail address is verified. You can now buy and take part."),
            )
        return self._message(
            gettext("E-mail address verified"), gettext("Your e-mail address was already verified.")
        )

    @expose("/verify-email/resend", methods=["POST"])
    def resend_verification(self) -> Any:
        """Mail the verification link again (rate limited per account)."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("AuthDBView.login"))
        with transaction():
            sent = accounts.resend_verification(user)
        if sent:
            flash(gettext("We have sent a new link to %(email)s.", email=user.email), "success")
        else:
            flash(gettext("Your e-mail address was already verified."), "info")
        return redirect(services.safe_next(request.form.get("next")) or services.landing_url(user, None))

    @expose("/reset-password/<token>", methods=["GET", "POST"])
    @no_cache
    def reset_password(self, token: str) -> Any:
        """Choose a new password from a reset link; then sign in with it."""
        accounts.password_reset_user(token)  # a dead link says so before any form is shown
        form = NewPasswordForm()
        status = 200
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    with transaction():
                        accounts.reset_password_with_token(token, form.password.data, form.conf_password.data)
                except Invalid as error:
                    form.password.errors = [error.message]
                else:
                    flash(gettext("Your password has been changed. Please sign in with it."), "success")
                    return redirect(url_for("AuthDBView.login"))
            status = 422
        page = self.render_template(
            "security/reset_password.html",
            form=form,
            appbuilder=self.appbuilder,
            title=self.appbuilder.app_name,
        )
        return page, status

    @expose("/confirm-email/<token>")
    @no_cache
    def confirm_email(self, token: str) -> Any:
        """Move the account to the new address of the link."""
        with transaction():
            user = accounts.confirm_email_change(token)
        return self._message(
            gettext("E-mail address changed"),
            gettext("Your account now uses %(email)s.", email=user.email),
        )
