"""REST API for favorites: /api/v1/favorite (own favorites) and /api/v1/favorite_collection (own
collections). Everything goes through the services; other users' rows are 404."""

from __future__ import annotations

from typing import Any

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.core.api import BaseModelRestApi, ServiceApi, json_body
from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.engagement import services
from app.engagement.models import Favorite, FavoriteCollection

FAVORITE_COLUMNS = ["id", "uuid", "target_type", "target_id", "collection_id", "created_at"]
COLLECTION_COLUMNS = ["id", "uuid", "name", "colour", "created_at", "updated_at"]


class FilterMine(BaseFilter):
    """Only the current user's rows (admins too: favorites are private)."""

    name = "My rows"
    arg_name = "mine"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to rows whose `user_id` is the current user's."""
        return query.filter(self.model.user_id == getattr(g.get("user"), "id", None))


def _number(body: dict[str, Any], key: str, *, required: bool) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(_("%(name)s must be a number.", name=key), {key: [_("Must be a number.")]})
    return value


def _collection(body: dict[str, Any]) -> FavoriteCollection | None:
    collection_id = _number(body, "collection_id", required=False)
    return None if collection_id is None else services.get_collection(g.user, collection_id)


class FavoriteApi(ServiceApi):
    """The caller's favorites: list, favorite a target, move to a collection, unfavorite."""

    datamodel = SQLAInterface(Favorite)
    class_permission_name = "Favorite"
    include_route_methods = {"get", "get_list", "post", "put", "delete", "delete_for_target"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "delete_for_target": "write"}
    base_filters = [["user_id", FilterMine, None]]
    list_columns = show_columns = FAVORITE_COLUMNS
    add_columns = ["target_type", "target_id", "collection_id"]
    edit_columns = ["collection_id"]
    search_columns = ["target_type", "target_id", "collection_id"]
    order_columns = ["created_at", "id"]
    base_order = ("created_at", "desc")

    def post_headless(self) -> Response:
        """Favorite a target the caller may see: {target_type, target_id, collection_id?}; 201 when
        new, 200 when it was already a favorite."""

        def act() -> Response:
            body = json_body()
            target_id = _number(body, "target_id", required=True)
            row, created = services.favorite(g.user, body.get("target_type"), target_id, _collection(body))
            return self.response(201 if created else 200, id=row.id, result=self.show_model_schema.dump(row))

        return self.run(act)

    def put_headless(self, pk: Any) -> Response:
        """Move one's favorite into one's collection: {collection_id} (null: out of any)."""

        def act() -> Response:
            row = self.scoped(pk)
            return self.dump(services.move_to_collection(g.user, row, _collection(json_body())))

        return self.run(act)

    def delete_headless(self, pk: Any) -> Response:
        """Unfavorite by the favorite's id."""

        def act() -> Response:
            row = self.scoped(pk)
            services.unfavorite(g.user, row.target_type, row.target_id)
            return self.response(200, message=_("Removed from your favorites."))

        return self.run(act)

    @expose("/for/<string:target_type>/<int:target_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete_for_target")
    def delete_for_target(self, target_type: str, target_id: int) -> Response:
        """Unfavorite a target (200 also when it was not a favorite).
        ---
        delete:
          parameters:
          - in: path
            name: target_type
            schema: {type: string}
          - in: path
            name: target_id
            schema: {type: integer}
          responses:
            200:
              description: Not a favorite any more
        """

        def act() -> Response:
            removed = services.unfavorite(g.user, target_type, target_id)
            return self.response(200, removed=removed, message=_("Removed from your favorites."))

        return self.run(act)


class FavoriteCollectionApi(ServiceApi):
    """The caller's own collections of favorites: name and colour."""

    datamodel = SQLAInterface(FavoriteCollection)
    class_permission_name = "FavoriteCollection"
    include_route_methods = {"get", "get_list", "post", "put", "delete"}
    base_filters = [["user_id", FilterMine, None]]
    list_columns = show_columns = COLLECTION_COLUMNS
    add_columns = edit_columns = ["name", "colour"]
    search_columns = ["name", "colour"]
    order_columns = ["name", "created_at", "id"]
    base_order = ("name", "asc")

    def post_headless(self) -> Response:
        """A new collection: {name, colour?}."""

        def act() -> Response:
            body = json_body()
            row = services.create_collection(g.user, body.get("name"), body.get("colour", "blue"))
            return self.response(201, id=row.id, result=self.show_model_schema.dump(row))

        return self.run(act)

    def put_headless(self, pk: Any) -> Response:
        """Rename or recolour: {name?, colour?}."""

        def act() -> Response:
            body = json_body()
            row = self.scoped(pk)
            return self.dump(services.update_collection(g.user, row, body.get("name"), body.get("colour")))

        return self.run(act)

    def delete_headless(self, pk: Any) -> Response:
        """Delete a collection; its favorites stay, outside any collection."""

        def act() -> Response:
            services.delete_collection(g.user, self.scoped(pk))
            return self.response(200, message=_("Collection deleted."))

        return self.run(act)
