"""Portal routes: the public home page; course pages are in `app.portal.courses` and `app.portal.player`."""

from __future__ import annotations

from flask import Blueprint, render_template

portal = Blueprint("portal", __name__, template_folder="templates")


@portal.route("/")
def home() -> str:
    """The public landing page."""
    return render_template("portal/home.html")


from app.portal import assessments, billing, certificates, courses, player  # noqa: E402, F401  (same blueprint)
