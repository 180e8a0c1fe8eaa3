"""The ordered list of modules: registration order is menu order."""

MODULES: list[str] = [
    "app.lookups",
    "app.audit",
    "app.security",
    "app.media",
    "app.notifications",
    "app.courses",
    "app.assessments",
    "app.billing",
    "app.engagement",
    "app.core",
    "app.portal",
]
