"""Portal routes: the public home page; course pages are in `app.portal.courses` and `app.portal.player`."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.assessments.services.certificates import recent_certificates
from app.assessments.services.deadlines import upcoming_deadlines
from app.core.portal import signed_in_user
from app.courses.services.enrollment import last_opened_course

portal = Blueprint("portal", __name__, template_folder="templates")


@portal.route("/")
def home() -> str:
    """The landing page; a signed-in learner's: where to continue, deadlines this week, new certificates."""
    user = signed_in_user()
    if user is None:
        return render_template("portal/home.html")
    return render_template(
        "portal/home.html",
        resume=last_opened_course(user.id),
        deadlines=upcoming_deadlines(user.id),
        certificates=recent_certificates(user.id),
    )


from app.portal import (  # noqa: E402, F401  (same blueprint)
    assessments,
    billing,
    certificates,
    courses,
    discussions,
    favorites,
    player,
    profile,
    reactions,
    shares,
)
