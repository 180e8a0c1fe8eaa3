"""Portal "My favorites" (PRD 3.5): the list by kind, collections, exports, and the favorite
buttons other pages show. Routes only: the rules are in `app.engagement.services`."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from app.core.errors import NotFound
from app.core.portal import flashed, login_required
from app.core.translations import current_language
from app.engagement import services
from app.engagement.models import COLLECTION_COLOURS, FavoriteCollection
from app.engagement.services import favorite_export
from app.portal.courses import _user
from app.portal.views import portal
from app.security.services import safe_next

PAGE_SIZE = 30


def favorite_state(user: Any, target_type: str, ids: list[int]) -> dict[str, Any]:
    """What favorite buttons show for many targets: counts and the user's own, in one query."""
    counts, mine = services.favorite_summary(user, target_type, ids)
    return {"type": target_type, "counts": counts, "mine": mine}


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _collection_arg(user: Any, value: Any) -> FavoriteCollection | None:
    """The collection named in a query or form (one's own only; another's is a 404)."""
    if value in (None, ""):
        return None
    collection_id = _number(value)
    if collection_id is None:
        abort(404)
    try:
        return services.get_collection(user, collection_id)
    except NotFound:
        abort(404)


def _filters(user: Any) -> dict[str, Any]:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in services.FAVORITE_KINDS:
        kind = None
    return {
        "kind": kind,
        "q": (request.args.get("q") or "").strip()[: services.favorites.MAX_QUERY_LENGTH] or None,
        "collection": _collection_arg(user, request.args.get("collection")),
    }


def _back() -> str:
    return safe_next(request.form.get("next")) or url_for("portal.my_favorites")


@portal.route("/my/favorites")
@login_required()
def my_favorites() -> Any:
    """The user's favorites by kind, newest first: filter by kind and collection, search, export."""
    user = _user()
    filters = _filters(user)
    page = max(_number(request.args.get("page")) or 1, 1)
    listing = services.my_favorites(user, page=page, page_size=PAGE_SIZE, **filters)
    collection = filters["collection"]
    args = {
        "kind": filters["kind"],
        "q": filters["q"],
        "collection": collection.id if collection is not None else None,
    }
    return render_template(
        "portal/my_favorites.html",
        listing=listing,
        pages=max(1, -(-listing.total // PAGE_SIZE)),
        kinds=services.available_kinds(),
        collections=services.list_collections(user),
        colours=COLLECTION_COLOURS,
        filters=filters,
        args={key: value for key, value in args.items() if value is not None},
        language=current_language(),
    )


@portal.route("/my/favorites/export.<fmt>")
@login_required()
def export_favorites(fmt: str) -> Response:
    """The list (with its filters, every page) as CSV or Excel."""
    user = _user()
    filters = _filters(user)
    if fmt == "csv":
        body: str | bytes = favorite_export.favorites_csv(user, **filters)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = favorite_export.favorites_xlsx(user, **filters)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="favorites.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@portal.route("/my/favorites/toggle", methods=["POST"])
@login_required()
def toggle_favorite() -> Response:
    """Add or remove a favorite from any page (a plain form: works without JavaScript).

    The button says which (`action=add|remove`), so a form sent twice changes nothing more.
    """
    user = _user()
    target_type = request.form.get("target_type", "")
    target_id = _number(request.form.get("target_id"))
    if target_id is None:
        abort(404)
    if request.form.get("action") == "remove":
        return flashed(
            _back(),
            _("Removed from your favorites."),
            lambda: services.unfavorite(user, target_type, target_id),
        )
    return flashed(
        _back(),
        _("Added to your favorites."),
        lambda: services.favorite(user, target_type, target_id),
    )


@portal.route("/my/favorites/<int:favorite_id>/remove", methods=["POST"])
@login_required()
def remove_favorite(favorite_id: int) -> Response:
    """Remove one of the user's favorites from the list."""
    user = _user()

    def act() -> None:
        row = services.get_favorite(user, favorite_id)
        services.unfavorite(user, row.target_type, row.target_id)

    return flashed(_back(), _("Removed from your favorites."), act)


@portal.route("/my/favorites/<int:favorite_id>/move", methods=["POST"])
@login_required()
def move_favorite(favorite_id: int) -> Response:
    """Put a favorite into one of the user's collections (or out of any)."""
    user = _user()
    collection = _collection_arg(user, request.form.get("collection_id"))

    def act() -> None:
        services.move_to_collection(user, services.get_favorite(user, favorite_id), collection)

    return flashed(_back(), _("Favorite moved."), act)


@portal.route("/my/favorites/collections", methods=["POST"])
@login_required()
def create_collection() -> Response:
    """A new collection: name and colour."""
    user = _user()
    return flashed(
        _back(),
        _("Collection created."),
        lambda: services.create_collection(
            user, request.form.get("name", ""), request.form.get("colour", "")
        ),
    )


@portal.route("/my/favorites/collections/<int:collection_id>", methods=["POST"])
@login_required()
def update_collection(collection_id: int) -> Response:
    """Rename or recolour one's collection, or delete it (`delete=1`)."""
    user = _user()
    collection = _collection_arg(user, collection_id)
    assert collection is not None
    if request.form.get("delete"):
        back = url_for("portal.my_favorites")
        return flashed(back, _("Collection deleted."), lambda: services.delete_collection(user, collection))
    return flashed(
        _back(),
        _("Collection saved."),
        lambda: services.update_collection(
            user, collection, request.form.get("name", ""), request.form.get("colour", "")
        ),
    )
