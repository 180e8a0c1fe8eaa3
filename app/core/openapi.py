"""The OpenAPI document (`/api/v1/_openapi`) made to match what the API takes and sends.

FAB builds it from docstrings: actions without a YAML docstring leave out their path parameters
and responses, and its marshmallow plugin declares Decimal fields as numbers while the JSON sends
them as strings. Both are mended here, once, for every API (ours and FAB's own).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from flask_appbuilder.api.manager import OpenApi
from marshmallow import fields

PATH_FIELD = re.compile(r"\{(\w+)\}")
FLASK_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <int:pk>, <pk>, <any(a,b):x>
CONVERTER_TYPES = {"int": "integer", "float": "number"}
# What a Decimal field sends (Flask's JSON writes Decimal as a string) and takes.
DECIMAL_PROPERTY = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}


class PathParametersPlugin(BasePlugin):
    """Declares each `{name}` of a path in every operation on it, typed by the route's converter."""

    def init_spec(self, spec: APISpec) -> None:
        """Read the argument types of every route once per document."""
        super().init_spec(spec)
        self.types: dict[str, dict[str, str]] = {}
        for rule in current_app.url_map.iter_rules():
            path = FLASK_ARGUMENT.sub(r"{\2}", rule.rule)
            self.types[path] = {
                name: CONVERTER_TYPES.get(converter, "string")
                for converter, name in FLASK_ARGUMENT.findall(rule.rule)
            }

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Add the missing path parameters, and a default response to operations that list none."""
        names = PATH_FIELD.findall(path or "")
        types = self.types.get(path or "", {})
        for operation in (operations or {}).values():
            parameters = operation.setdefault("parameters", [])
            declared = {p.get("name") for p in parameters if isinstance(p, dict) and p.get("in") == "path"}
            parameters.extend(
                {"in": "path", "name": name, "required": True, "schema": {"type": types.get(name, "string")}}
                for name in names
                if name not in declared
            )
            operation.setdefault("responses", {"default": {"description": "The result, or an error."}})


def _decimal_as_string(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """Decimal fields (money, points, percentages) as the decimal strings the API sends."""
    return dict(DECIMAL_PROPERTY) if isinstance(field, fields.Decimal) else {}


_fab_create_api_spec = OpenApi._create_api_spec


def _create_api_spec(version: str) -> APISpec:
    """FAB's APISpec with the two mends above."""
    spec = _fab_create_api_spec(version)
    for plugin in spec.plugins:
        if isinstance(plugin, MarshmallowPlugin) and plugin.converter is not None:
            plugin.converter.add_attribute_function(_decimal_as_string)
    paths = PathParametersPlugin()
    paths.init_spec(spec)
    spec.plugins.append(paths)
    return spec


def mend_openapi_document() -> None:
    """Make FAB's OpenApi view build its document with the mends (called once at import of core.api)."""
    OpenApi._create_api_spec = staticmethod(_create_api_spec)
