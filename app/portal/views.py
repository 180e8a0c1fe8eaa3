"""Portal routes: the public home page for now; later modules add catalog, player, ..."""

from __future__ import annotations

from flask import Blueprint, render_template

portal = Blueprint("portal", __name__, template_folder="templates")


@portal.route("/")
def home() -> str:
    """The public landing page."""
    return render_template("portal/home.html")
