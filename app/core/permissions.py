"""Method -> permission names shared by every view and API: each resource has `read` and `write`."""

READ_METHODS = (
    # ModelView
    "list",
    "show",
    "export_csv",
    "history",
    # ModelRestApi
    "get",
    "get_list",
    "info",
)
WRITE_METHODS = (
    # ModelView
    "add",
    "edit",
    "delete",
    "soft_delete_selected",
    # ModelRestApi
    "post",
    "put",
)

READ_WRITE_PERMISSIONS: dict[str, str] = {
    **{name: "read" for name in READ_METHODS},
    **{name: "write" for name in WRITE_METHODS},
}
# REST delete shares the name "delete" with the view's delete method.
READ_WRITE_PERMISSIONS["delete"] = "write"
