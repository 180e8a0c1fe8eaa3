"""REST API for view counts: GET /api/v1/view_count/for/<target_type>/<target_id>."""

from __future__ import annotations

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from app.core.api import ServiceApi
from app.core.interface import SQLAInterface
from app.engagement import services
from app.engagement.models import ViewCount


class ViewCountApi(ServiceApi):
    """A target's counted views (applied by the flush task, so up to a minute behind); 404 for a
    target that does not exist or that the caller may not see."""

    resource_name = "view_count"
    datamodel = SQLAInterface(ViewCount)
    class_permission_name = "ViewCount"
    include_route_methods = {"for_target"}
    method_permission_name = {"for_target": "read"}
    list_columns = show_columns = ["target_type", "target_id", "count"]
    search_columns: list[str] = []  # no list: one target's count at a time

    @expose("/for/<string:target_type>/<int:target_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("for_target")
    def for_target(self, target_type: str, target_id: int) -> Response:
        """A target's view count.
        ---
        get:
          parameters:
          - in: path
            name: target_type
            schema: {type: string}
          - in: path
            name: target_id
            schema: {type: integer}
          responses:
            200:
              description: The target's view count
            404:
              $ref: '#/components/responses/404'
        """

        def body() -> Response:
            services.visible_target(g.user, target_type, target_id)
            count = services.view_count(target_type, target_id)
            return self.response(200, target_type=target_type, target_id=target_id, count=count)

        return self.run(body)
