"""Portal routes of the profile's files: the avatar and the CVs (media library services)."""

from __future__ import annotations

from typing import Any


def media_context(user: Any) -> dict[str, Any]:
    """What My profile shows of the user's files."""
    return {}
